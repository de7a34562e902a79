"""RFC 8785 JSON Canonicalization Scheme (JCS): the one byte form of a JSON value that is hashed or signed.

Keys are sorted by their UTF-16 code units, no whitespace, strings escaped minimally, numbers written as
ECMAScript's Number.prototype.toString would (RFC 8785 §3.2.2.3).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any


class NotCanonicalizable(ValueError):
    pass


def _number(value: int | float) -> str:
    if isinstance(value, bool):
        raise NotCanonicalizable("booleans are not numbers")
    if isinstance(value, int):
        if abs(value) <= 2**53 - 1:
            return str(value)
        # Beyond 2**53 an integer is accepted only where no precision is lost (I-JSON, RFC 7493): a double
        # holds it exactly, or its digits are that double's own shortest form (as in canonical text read
        # back, e.g. "47149958331322300"). It is then written as ECMAScript writes the double (RFC 8785).
        try:
            double = float(value)
        except OverflowError:
            double = math.inf
        written = _number(double) if math.isfinite(double) else ""
        if not written or (double != value and written != str(value)):
            raise NotCanonicalizable(f"the integer {value} cannot be represented exactly as a JSON number (I-JSON)")
        return written
    if math.isnan(value) or math.isinf(value):
        raise NotCanonicalizable("NaN and Infinity are not JSON numbers")
    if value == 0:
        return "0"
    # Shortest round-tripping digits, then laid out the ECMAScript way.
    digits, exponent = _shortest_digits(value)
    sign = "-" if value < 0 else ""
    k, n = len(digits), exponent  # value = 0.digits × 10**n
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"


def _shortest_digits(value: float) -> tuple[str, int]:
    text = repr(abs(value))
    mantissa, _, exp = text.partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    exponent = len(whole) + (int(exp) if exp else 0)
    if whole == "0":
        stripped = frac.lstrip("0")
        exponent = -(len(frac) - len(stripped)) + (int(exp) if exp else 0)
        digits = stripped
    digits = digits.rstrip("0") or "0"
    return digits, exponent


# What json.dumps(value, ensure_ascii=False) runs for a string — minimal escaping, lower-case \u00xx as
# RFC 8785 §3.2.2.2 asks — without building an encoder per call (a ledger leaf has some thirty strings).
_string: Callable[[str], str] = json.encoder.encode_basestring


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int | float):
        out.append(_number(value))
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        keys = list(value)
        if not all(isinstance(k, str) for k in keys):
            raise NotCanonicalizable("object keys must be strings")
        for i, key in enumerate(sorted(keys, key=lambda k: k.encode("utf-16-be"))):
            if i:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _encode(value[key], out)
        out.append("}")
    else:
        raise NotCanonicalizable(f"{type(value).__name__} is not a JSON value")


def canonicalize(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value."""
    out: list[str] = []
    _encode(value, out)
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError:
        raise NotCanonicalizable("a string holds a lone surrogate, which is not valid Unicode text") from None
