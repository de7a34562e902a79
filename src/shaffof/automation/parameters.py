"""Dated parameters: a threshold or an amount as the law sets it, period by period (OpenFisca's lesson).

A rule says "income below the threshold"; the threshold changes by decree on a date. Each value carries its
validity period and the norm that set it, and a case is decided with the values in force on its *decisive
date* (the submission or the decision date, per service), so re-running a decision reproduces it exactly.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shaffof.automation import feel


class DatedValue(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    valid_from: dt.date = Field(alias="from")
    valid_until: dt.date | None = Field(default=None, alias="until", description="inclusive; open-ended if absent")
    value: Decimal | str | bool
    citation: str = Field(description="the norm that set this value, 'LAW Art. N(P)'")

    def in_force(self, on: dt.date) -> bool:
        return self.valid_from <= on and (self.valid_until is None or on <= self.valid_until)


class Parameter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1)
    type: Literal["number", "string", "boolean"]
    values: list[DatedValue] = Field(min_length=1)

    @model_validator(mode="after")
    def _periods_do_not_overlap(self) -> Parameter:
        ordered = sorted(self.values, key=lambda v: v.valid_from)
        for earlier, later in itertools.pairwise(ordered):
            if earlier.valid_until is None or earlier.valid_until >= later.valid_from:
                raise ValueError(
                    f"the periods from {earlier.valid_from} and from {later.valid_from} overlap; "
                    "close the earlier one with 'until' before the later one starts"
                )
        for item in self.values:
            if item.valid_until is not None and item.valid_until < item.valid_from:
                raise ValueError(f"the period from {item.valid_from} ends before it starts")
            expected = {"number": Decimal, "string": str, "boolean": bool}[self.type]
            if type(item.value) is not expected:
                raise ValueError(f"the value {item.value!r} from {item.valid_from} is not a {self.type}")
        return self

    def at(self, on: dt.date) -> DatedValue | None:
        return next((v for v in self.values if v.in_force(on)), None)


def in_force(parameters: Mapping[str, Parameter], on: dt.date) -> dict[str, DatedValue]:
    """The values in force on ``on``; a parameter with no value that day is absent (the rules using it fail)."""
    found = {}
    for name, parameter in parameters.items():
        value = parameter.at(on)
        if value is not None:
            found[name] = value
    return found


def feel_values(values: Mapping[str, DatedValue]) -> dict[str, feel.Value]:
    return {name: v.value for name, v in values.items()}


def versions(parameters: Mapping[str, Parameter]) -> list[dt.date]:
    """Every date on which some parameter changes: checking a table on each covers every combination in force."""
    dates = set()
    for parameter in parameters.values():
        for value in parameter.values:
            dates.add(value.valid_from)
            if value.valid_until is not None:
                dates.add(value.valid_until + dt.timedelta(days=1))
    return sorted(dates)
