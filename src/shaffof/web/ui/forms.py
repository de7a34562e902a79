"""A service's application form, generated from its JSON Schema: the fields a page shows, the typed answers
read back from the posted strings, and per-field errors in the visitor's language.

The cases domain validates the submission again, authoritatively, when it is filed; this module only lets the
page show every problem next to its field before the applicant reviews and submits (GOV.UK's pattern: errors
next to the fields and in a summary at the top, what was typed kept).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from shaffof.web.ui.i18n import N_, gettext

TEXTAREA_FROM = 300  # strings that may be longer than this get a multi-line box


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    hint: str | None
    widget: str  # text, textarea, select, checkbox, date, email, number
    required: bool
    options: tuple[tuple[str, str], ...] = ()  # (value, what the select shows)
    max_length: int | None = None
    pattern: str | None = None

    @property
    def id(self) -> str:
        return f"f-{self.name}"


@dataclass
class FieldErrors:
    """Errors by the id of the input they are about (``""``: the whole form), already translated; the page
    shows each next to its input and links to it from the summary at the top."""

    by_field: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.by_field)


def _text(value: Any, language: str) -> str | None:
    if isinstance(value, Mapping):
        return value.get(language) or value.get("uz") or next(iter(value.values()), None)
    return value if isinstance(value, str) else None


def fields_of(schema: Mapping[str, Any], language: str) -> list[FormField]:
    """The inputs of a flat object schema, in the schema's order. A property's label is its ``title`` (the
    package's Uzbek text), or ``x-title`` ({uz, ru, en}) when the package translates it."""
    required = set(schema.get("required", ()))
    fields = []
    for name, spec in schema.get("properties", {}).items():
        label = _text(spec.get("x-title"), language) or spec.get("title") or name
        hint = _text(spec.get("x-description"), language) or spec.get("description")
        kind = spec.get("type")
        if "enum" in spec:
            titles = spec.get("x-enum-titles", {})  # {value: {uz, ru, en}} when the package translates them
            widget = "select"
            options = tuple(
                (str(v), _text(titles.get(str(v)), language) or str(v).replace("_", " ")) for v in spec["enum"]
            )
        elif kind == "boolean":
            widget, options = "checkbox", ()
        elif kind in ("integer", "number"):
            widget, options = "number", ()
        elif spec.get("format") in ("date", "email"):
            widget, options = spec["format"], ()
        elif spec.get("maxLength", 0) > TEXTAREA_FROM:
            widget, options = "textarea", ()
        else:
            widget, options = "text", ()
        fields.append(
            FormField(
                name=name,
                label=label,
                hint=hint,
                widget=widget,
                required=name in required,
                options=options,
                max_length=spec.get("maxLength"),
                pattern=spec.get("pattern"),
            )
        )
    return fields


def read_answers(
    schema: Mapping[str, Any], posted: Mapping[str, str], language: str
) -> tuple[dict[str, Any], FieldErrors]:
    """Typed answers from posted strings (blank: left out), and the errors of values that are not even of
    the field's type. Checkboxes: ticked is true, left clear is false."""
    answers: dict[str, Any] = {}
    errors = FieldErrors()
    for name, spec in schema.get("properties", {}).items():
        raw = posted.get(f"f-{name}")
        kind = spec.get("type")
        if kind == "boolean":
            answers[name] = raw == "true"
            continue
        text = (raw or "").strip()
        if not text:
            continue
        if kind == "integer":
            try:
                answers[name] = int(text)
            except ValueError:
                errors.add(f"f-{name}", gettext(language, "Enter a whole number."))
        elif kind == "number":
            try:
                number = float(text.replace(",", "."))
            except ValueError:
                errors.add(f"f-{name}", gettext(language, "Enter a number."))
            else:
                answers[name] = int(number) if number.is_integer() else number
        else:
            answers[name] = text
    return answers, errors


MESSAGES = {
    "required": N_("Fill in this field."),
    "minLength": N_("Enter at least %(limit)s characters."),
    "maxLength": N_("Enter at most %(limit)s characters."),
    "enum": N_("Choose one of the options."),
    "const": N_("Tick this box to continue."),
    "pattern": N_("The value does not have the expected form."),
    "minimum": N_("Enter a number of at least %(limit)s."),
    "exclusiveMinimum": N_("Enter a number greater than %(limit)s."),
    "maximum": N_("Enter a number of at most %(limit)s."),
    "type": N_("The value is of the wrong kind."),
    "date": N_("Enter a date as YYYY-MM-DD."),
    "email": N_("Enter an e-mail address such as name@example.uz."),
}
FALLBACK = N_("This value is not valid.")


def validate(schema: Mapping[str, Any], answers: Mapping[str, Any], language: str, errors: FieldErrors) -> None:
    """Add the schema's objections to ``errors``, each under its field and in the visitor's language."""
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    for error in validator.iter_errors(dict(answers)):
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            message = MESSAGES["required"]
            errors.add(f"f-{missing}" if missing else "", gettext(language, message))
            continue
        name = f"f-{error.absolute_path[0]}" if error.absolute_path else ""
        if name in errors.by_field:
            continue  # already explained (e.g. not a number)
        key = str(error.validator)
        if key == "format":
            key = str(error.validator_value)
        template = gettext(language, MESSAGES.get(key, FALLBACK))
        limit = error.validator_value if isinstance(error.validator_value, int | float) else ""
        errors.add(name, template % {"limit": limit} if "%(limit)s" in template else template)


def as_posted(answers: Mapping[str, Any]) -> dict[str, str]:
    """The answers as the form's inputs show them again (what the applicant typed is never lost)."""
    shown: dict[str, str] = {}
    for name, value in answers.items():
        if isinstance(value, bool):
            shown[f"f-{name}"] = "true" if value else ""
        elif isinstance(value, dt.date):
            shown[f"f-{name}"] = value.isoformat()
        else:
            shown[f"f-{name}"] = str(value)
    return shown
