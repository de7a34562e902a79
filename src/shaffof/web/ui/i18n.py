"""Page texts in Uzbek (Latin, the default), Russian and English, from gettext catalogues.

The catalogues are the ``.po`` files in ``locales/`` (message ids in English; ``uz.po`` and ``ru.po`` translate
every one, English needs no catalogue). They are compiled in-process when first used — no build step, no
network — and a test fails when a message in a template or a view has no translation.

Templates call ``_("…")`` / ``ngettext(…)``: the language comes from the template context's ``lang``, so one
Jinja environment serves every request. Python code marks messages it hands to templates with :func:`N_`.
"""

from __future__ import annotations

import datetime as dt
import gettext as gettext_module
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

LANGUAGES = ("uz", "ru", "en")
DEFAULT_LANGUAGE = "uz"
LOCALE_DIR = Path(__file__).parent / "locales"
LANGUAGE_NAMES = {"uz": "O'zbekcha", "ru": "Русский", "en": "English"}


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


@cache
def translations(language: str) -> gettext_module.NullTranslations:
    """The compiled catalogue of ``language`` (English: the message ids themselves)."""
    path = LOCALE_DIR / f"{language}.po"
    if language not in LANGUAGES or not path.exists():
        return gettext_module.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext_module.GNUTranslations(compiled)


def gettext(language: str, message: str) -> str:
    return translations(language).gettext(message)


def ngettext(language: str, singular: str, plural: str, n: int) -> str:
    return translations(language).ngettext(singular, plural, n)


def _language(context: Context) -> str:
    language = context.get("lang")
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


@pass_context
def _context_gettext(context: Context, message: str) -> str:
    return gettext(_language(context), message)


@pass_context
def _context_ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return ngettext(_language(context), singular, plural, n)


@pass_context
def _local_datetime(context: Context, value: dt.datetime | None, style: str = "medium") -> str:
    """A UTC instant shown in the platform's time zone, formatted for the page's language."""
    if value is None:
        return ""
    zone = ZoneInfo(context.get("timezone") or "Asia/Tashkent")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return format_datetime(value.astimezone(zone), style, tzinfo=zone, locale=_language(context))


@pass_context
def _local_date(context: Context, value: dt.date | dt.datetime | None, style: str = "long") -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        zone = ZoneInfo(context.get("timezone") or "Asia/Tashkent")
        value = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(zone).date()
    return format_date(value, style, locale=_language(context))


@pass_context
def _local_number(context: Context, value: float | int) -> str:
    return format_decimal(value, locale=_language(context))


def install(env: Environment) -> None:
    """Give a Jinja environment ``_``/``gettext``/``ngettext`` and the locale filters (idempotent)."""
    if "jinja2.ext.InternationalizationExtension" not in env.extensions:
        env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _context_gettext, _context_ngettext, newstyle=True
    )
    env.filters["datetime"] = _local_datetime
    env.filters["date"] = _local_date
    env.filters["number"] = _local_number
    env.globals["language_names"] = LANGUAGE_NAMES


def extraction_sources() -> list[tuple[str, str]]:
    """Where page messages live, as Babel method-map entries (used by the catalogue test and scripts)."""
    return [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]


def extract(root: Path | None = None) -> dict[str, list[tuple[str, int]]]:
    """Every message id used by the pages under ``root`` (default: this package), with where it occurs."""
    from babel.messages.extract import extract_from_dir

    base = root or Path(__file__).parent
    found: dict[str, list[tuple[str, int]]] = {}
    options: dict[str, dict[str, Any]] = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": (2,), "ngettext": (1, 2), "N_": None}  # Python: gettext(language, message)
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(base), method_map=extraction_sources(), options_map=options, keywords=keywords
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, []).append((filename, lineno))
    return found
