"""Fill a service's form schema with plausible answers (every property, so conditionals hold)."""

from __future__ import annotations

import datetime as dt
import random
import re
from typing import Any

DIGITS_PATTERN = re.compile(r"^\^(?P<prefix>(?:\\\+|[0-9])*)\[0-9\]\{(?P<count>\d+)\}\$$")
WORDS = (
    "Hurmatli rahbariyat, mahallamizdagi yo'l ta'mirini tezlashtirishingizni so'rayman. "
    "Ko'cha chiroqlari bir oydan beri yonmayapti, bolalar maktabdan qorong'ida qaytmoqda. "
    "Ichimlik suvi haftasiga faqat ikki kun beriladi, bu masalani hal qilishda yordam bering."
)


def _string(schema: dict[str, Any], rng: random.Random, name: str) -> str:
    if "enum" in schema:
        return str(rng.choice(schema["enum"]))
    if "const" in schema:
        return str(schema["const"])
    if schema.get("format") == "date":
        return (dt.date.today() - dt.timedelta(days=rng.randrange(1, 900))).isoformat()
    if schema.get("format") == "email":
        return f"{name.replace('_', '.')}{rng.randrange(10_000)}@example.uz"
    if "pattern" in schema:
        match = DIGITS_PATTERN.match(schema["pattern"])
        if match is None:
            raise ValueError(f"cannot fill {name}: pattern {schema['pattern']!r} is beyond the demo filler")
        prefix = match["prefix"].replace("\\", "")
        return prefix + "".join(str(rng.randrange(10)) for _ in range(int(match["count"])))
    low: int = schema.get("minLength", 1)
    high: int = schema.get("maxLength", 200)
    length = max(low, min(high, rng.randrange(low, max(low + 1, min(high, 240)) + 1)))
    start = rng.randrange(0, len(WORDS) // 2)
    text = (WORDS[start:] + " " + WORDS) * (length // len(WORDS) + 2)
    return text[:length].strip().ljust(low, ".")


def _number(schema: dict[str, Any], rng: random.Random, integer: bool) -> int | float:
    if "enum" in schema:
        return rng.choice(schema["enum"])  # type: ignore[no-any-return]
    low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + (1 if integer else 0.5))
    high = schema.get("maximum", schema.get("exclusiveMaximum", low + 100) - (1 if integer else 0.5))
    return rng.randint(int(low), int(high)) if integer else round(rng.uniform(low, high), 1)


def fill(schema: dict[str, Any], rng: random.Random, name: str = "form") -> Any:
    kind = schema.get("type")
    if "const" in schema:
        return schema["const"]
    if kind == "object":
        return {key: fill(sub, rng, key) for key, sub in schema.get("properties", {}).items()}
    if kind == "string":
        return _string(schema, rng, name)
    if kind == "integer":
        return _number(schema, rng, integer=True)
    if kind == "number":
        return _number(schema, rng, integer=False)
    if kind == "boolean":
        return True
    if kind == "array":
        return [fill(schema.get("items", {"type": "string"}), rng, name) for _ in range(schema.get("minItems", 1))]
    if "enum" in schema:
        return rng.choice(schema["enum"])
    raise ValueError(f"cannot fill {name}: unsupported schema {schema}")
