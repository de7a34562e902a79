"""The retention schedule: which class a case document falls into and when its content may be disposed of.

Rules as data (``retention.yaml``, or the operator's file named by ``SHAFFOF_ARCHIVE_RETENTION_FILE``): each
class names the document types it covers (``"*"`` is the class of every other type), how many years the
content is kept after its case closes (``null``: permanently) and the ground — a norm's citation, or
plainly ``platform-default`` where shared/legal.md names no norm fixing the period.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shaffof.legal import Citation

DEFAULT_SCHEDULE = Path(__file__).with_name("retention.yaml")
ANY_TYPE = "*"


class ScheduleInvalid(ValueError):
    """The schedule file cannot be used; the message names the file and the field."""


class RetentionClass(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9-]{1,64}$")
    title: dict[Literal["uz", "ru", "en"], str]
    document_types: tuple[str, ...] = Field(min_length=1)
    retain_years: int | None = Field(ge=1, le=200)
    counted_from: Literal["case_closed"]
    basis: Literal["platform-default", "norm"]
    citation: Citation | None = None
    note: str = ""

    @model_validator(mode="after")
    def _ground_is_named(self) -> RetentionClass:
        if self.basis == "norm" and self.citation is None:
            raise ValueError(f"class {self.code}: basis 'norm' needs the norm's citation")
        if set(self.title) != {"uz", "ru", "en"}:
            raise ValueError(f"class {self.code}: a title in uz, ru and en")
        return self

    @property
    def permanent(self) -> bool:
        return self.retain_years is None

    def retain_until(self, closed_at: dt.datetime) -> dt.datetime | None:
        """When the content may go: ``retain_years`` after the case closed (29 February → 28 February)."""
        if self.retain_years is None:
            return None
        return years_before(closed_at, -self.retain_years)

    def ground(self) -> dict[str, object]:
        """What a tombstone stores as the disposal's basis."""
        return {
            "retention_class": self.code,
            "basis": self.basis,
            "citation": self.citation.model_dump(mode="json", exclude_none=True) if self.citation else None,
            "retain_years": self.retain_years,
            "counted_from": self.counted_from,
        }


class RetentionSchedule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    classes: tuple[RetentionClass, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _every_type_has_one_class(self) -> RetentionSchedule:
        seen: dict[str, str] = {}
        for item in self.classes:
            for document_type in item.document_types:
                if document_type in seen:
                    raise ValueError(
                        f"document type {document_type!r} is in classes {seen[document_type]} and {item.code}"
                    )
                seen[document_type] = item.code
        if ANY_TYPE not in seen:
            raise ValueError(f"one class must cover every other document type ({ANY_TYPE!r})")
        return self

    def class_of(self, document_type: str) -> RetentionClass:
        fallback = None
        for item in self.classes:
            if document_type in item.document_types:
                return item
            if ANY_TYPE in item.document_types:
                fallback = item
        assert fallback is not None  # the validator guarantees it
        return fallback

    def by_code(self, code: str) -> RetentionClass | None:
        return next((item for item in self.classes if item.code == code), None)


def years_before(at: dt.datetime, years: int) -> dt.datetime:
    """The same day and time ``years`` earlier (negative: later); 29 February becomes 28 February."""
    try:
        return at.replace(year=at.year - years)
    except ValueError:
        return at.replace(year=at.year - years, day=28)


def load_schedule(path: Path | None = None) -> RetentionSchedule:
    file = path or DEFAULT_SCHEDULE
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ScheduleInvalid(f"{file}: cannot be read as YAML: {error}") from None
    try:
        return RetentionSchedule.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ScheduleInvalid(f"{file}: {problems}") from None
