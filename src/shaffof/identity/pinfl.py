"""PINFL, the 14-digit personal identification number (the "unique identifier" of ZRU-395).

Structure (see shared/legal.md): digit 1 — century and sex (3/4: born 1900–1999 male/female, 5/6: 2000–2099);
digits 2–7 — birth date DDMMYY; 8–10 — district code; 11–13 — serial number; 14 — check digit, the sum of
the first 13 digits weighted 7, 3, 1, 7, 3, 1, … taken mod 10. The check-digit rule follows public PINFL
parsers, not an official text: it lives here only, so it can be corrected in one place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

WEIGHTS = (7, 3, 1) * 5
CENTURY_AND_SEX = {"3": (1900, "M"), "4": (1900, "F"), "5": (2000, "M"), "6": (2000, "F")}


class Sex(StrEnum):
    male = "M"
    female = "F"


class InvalidPinfl(ValueError):
    """The text is not a valid PINFL; the message says which part is wrong."""


@dataclass(frozen=True)
class Pinfl:
    value: str
    birth_date: dt.date
    sex: Sex
    district: str
    serial: str

    def __str__(self) -> str:
        return self.value


def check_digit(first13: str) -> int:
    return sum(int(d) * w for d, w in zip(first13, WEIGHTS, strict=False)) % 10


def parse(text: str) -> Pinfl:
    """Parse and validate a PINFL, or raise :class:`InvalidPinfl` naming what is wrong."""
    value = text.strip()
    if len(value) != 14:
        raise InvalidPinfl(f"a PINFL has 14 digits; this one has {len(value)} characters")
    if not value.isascii() or not value.isdigit():
        raise InvalidPinfl("a PINFL consists of digits only")
    if value[0] not in CENTURY_AND_SEX:
        raise InvalidPinfl(f"the first digit encodes century and sex and must be 3, 4, 5 or 6, not {value[0]}")
    century, sex = CENTURY_AND_SEX[value[0]]
    day, month, year = int(value[1:3]), int(value[3:5]), century + int(value[5:7])
    try:
        birth_date = dt.date(year, month, day)
    except ValueError:
        raise InvalidPinfl(
            f"digits 2–7 must be a birth date DDMMYY; {value[1:3]}.{value[3:5]}.{year} is not a date"
        ) from None
    expected = check_digit(value[:13])
    if int(value[13]) != expected:
        raise InvalidPinfl(f"the check digit (the last one) should be {expected}, not {value[13]}")
    return Pinfl(value, birth_date, Sex(sex), district=value[7:10], serial=value[10:13])


def build(birth_date: dt.date, sex: Sex, district: str, serial: str) -> str:
    """Compose a valid PINFL (used by the demo data and by tests' factories)."""
    if not 1900 <= birth_date.year <= 2099:
        raise ValueError("PINFLs encode birth years 1900–2099")
    lead = {(1900, "M"): "3", (1900, "F"): "4", (2000, "M"): "5", (2000, "F"): "6"}[
        (birth_date.year // 100 * 100, sex.value)
    ]
    if not (len(district) == 3 and district.isdigit() and len(serial) == 3 and serial.isdigit()):
        raise ValueError("district and serial are three digits each")
    first13 = f"{lead}{birth_date:%d%m%y}{district}{serial}"
    return first13 + str(check_digit(first13))
