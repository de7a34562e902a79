"""PINFL parsing and building (shared/legal.md: 14 digits, check digit weighted 7, 3, 1 … mod 10)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shaffof.identity.pinfl import InvalidPinfl, Pinfl, Sex, build, parse

# 3 = male born 1900–1999; 150390 = 15.03.1990; district 123; serial 456.
# Check digit by hand, weights 7,3,1,7,3,1,7,3,1,7,3,1,7 over 3,1,5,0,3,9,0,1,2,3,4,5,6:
#   21 + 3 + 5 + 0 + 9 + 9 + 0 + 3 + 2 + 21 + 12 + 5 + 42 = 132 → 132 mod 10 = 2
MALE_1990 = "31503901234562"
# 6 = female born 2000–2099; 311205 = 31.12.2005; district 026; serial 001.
# Weights over 6,3,1,1,2,0,5,0,2,6,0,0,1:
#   42 + 9 + 1 + 7 + 6 + 0 + 35 + 0 + 2 + 42 + 0 + 0 + 7 = 151 → 1
FEMALE_2005 = "63112050260011"


def reference_check_digit(first13: str) -> int:
    """Independent of the module under test: the rule as shared/legal.md states it."""
    weights = [7, 3, 1] * 5
    return sum(int(digit) * weights[i] for i, digit in enumerate(first13)) % 10


# --- valid PINFLs ---------------------------------------------------------------------------------


def test_parse_extracts_birth_date_sex_district_and_serial_of_a_man_born_in_the_1900s() -> None:
    pinfl = parse(MALE_1990)
    assert pinfl == Pinfl(value=MALE_1990, birth_date=dt.date(1990, 3, 15), sex=Sex.male, district="123", serial="456")
    assert str(pinfl) == MALE_1990


def test_parse_extracts_the_fields_of_a_woman_born_in_the_2000s() -> None:
    pinfl = parse(FEMALE_2005)
    assert pinfl.birth_date == dt.date(2005, 12, 31)
    assert pinfl.sex is Sex.female
    assert pinfl.district == "026"
    assert pinfl.serial == "001"


@pytest.mark.parametrize(
    ("lead", "year", "sex"),
    [("3", 1987, Sex.male), ("4", 1987, Sex.female), ("5", 2087, Sex.male), ("6", 2087, Sex.female)],
)
def test_first_digit_gives_century_and_sex(lead: str, year: int, sex: Sex) -> None:
    first13 = f"{lead}010187" + "001" + "002"
    pinfl = parse(first13 + str(reference_check_digit(first13)))
    assert pinfl.birth_date == dt.date(year, 1, 1)
    assert pinfl.sex is sex


def test_surrounding_whitespace_of_a_pasted_pinfl_is_ignored() -> None:
    pinfl = parse(f"  {MALE_1990}\n")
    assert pinfl.value == MALE_1990


def test_leap_day_is_a_valid_birth_date() -> None:
    first13 = "4290296" + "100" + "200"  # 29.02.1996, a leap year
    pinfl = parse(first13 + str(reference_check_digit(first13)))
    assert pinfl.birth_date == dt.date(1996, 2, 29)


# --- refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "3150390123456", "315039012345621", "3" * 20])
def test_wrong_length_is_refused_naming_the_length(text: str) -> None:
    with pytest.raises(InvalidPinfl, match="14 digits") as caught:
        parse(text)
    assert f"has {len(text)} characters" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "3150390123456A",
        "31503-01234562",
        "3150390 234562",
        "+3150390123456",
        # Arabic-Indic digits are "digits" to str.isdigit but not to a PINFL.
        "315039012345٦٢",
    ],
)
def test_non_digits_are_refused(text: str) -> None:
    assert len(text) == 14
    with pytest.raises(InvalidPinfl, match="digits only"):
        parse(text)


@pytest.mark.parametrize("lead", ["0", "1", "2", "7", "8", "9"])
def test_first_digit_other_than_3_to_6_is_refused_naming_it(lead: str) -> None:
    first13 = lead + MALE_1990[1:13]
    with pytest.raises(InvalidPinfl, match="first digit") as caught:
        parse(first13 + str(reference_check_digit(first13)))
    assert f"must be 3, 4, 5 or 6, not {lead}" in str(caught.value)


@pytest.mark.parametrize(
    ("date_digits", "shown"),
    [
        ("310290", "31.02.1990"),  # 31 February
        ("290297", "29.02.1997"),  # not a leap year
        ("310490", "31.04.1990"),  # April has 30 days
        ("001390", "00.13.1990"),
        ("150090", "15.00.1990"),
        ("000190", "00.01.1990"),
    ],
)
def test_impossible_birth_date_is_refused_naming_it(date_digits: str, shown: str) -> None:
    first13 = "3" + date_digits + "123456"
    with pytest.raises(InvalidPinfl, match="birth date") as caught:
        parse(first13 + str(reference_check_digit(first13)))
    assert f"{shown} is not a date" in str(caught.value)


def test_wrong_check_digit_is_refused_stating_the_expected_digit() -> None:
    with pytest.raises(InvalidPinfl, match="check digit") as caught:
        parse(MALE_1990[:13] + "5")
    assert "should be 2, not 5" in str(caught.value)


def test_invalid_pinfl_is_a_value_error() -> None:
    # Callers that validate user input catch ValueError.
    with pytest.raises(ValueError, match="check digit"):
        parse(FEMALE_2005[:13] + "0")


# --- build ----------------------------------------------------------------------------------------


def test_build_composes_the_hand_computed_pinfl() -> None:
    assert build(dt.date(1990, 3, 15), Sex.male, "123", "456") == MALE_1990
    assert build(dt.date(2005, 12, 31), Sex.female, "026", "001") == FEMALE_2005


@pytest.mark.parametrize("year", [1899, 2100, 1])
def test_build_refuses_years_a_pinfl_cannot_encode(year: int) -> None:
    with pytest.raises(ValueError, match="1900–2099"):
        build(dt.date(year, 6, 1), Sex.male, "123", "456")


@pytest.mark.parametrize(("district", "serial"), [("12", "456"), ("1234", "456"), ("12a", "456"), ("123", "45")])
def test_build_refuses_district_or_serial_that_is_not_three_digits(district: str, serial: str) -> None:
    with pytest.raises(ValueError, match="three digits"):
        build(dt.date(1990, 3, 15), Sex.male, district, serial)


# --- properties -----------------------------------------------------------------------------------

dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31))
three_digits = st.from_regex(r"\A[0-9]{3}\Z")


@given(birth_date=dates, sex=st.sampled_from(Sex), district=three_digits, serial=three_digits)
def test_build_then_parse_round_trips(birth_date: dt.date, sex: Sex, district: str, serial: str) -> None:
    value = build(birth_date, sex, district, serial)
    assert len(value) == 14
    assert int(value[13]) == reference_check_digit(value[:13])
    assert parse(value) == Pinfl(value, birth_date, sex, district, serial)


@given(
    birth_date=dates,
    sex=st.sampled_from(Sex),
    district=three_digits,
    serial=three_digits,
    other=st.sampled_from("0123456789"),
)
def test_any_other_check_digit_is_refused(
    birth_date: dt.date, sex: Sex, district: str, serial: str, other: str
) -> None:
    value = build(birth_date, sex, district, serial)
    if other == value[13]:
        other = str((int(other) + 1) % 10)
    with pytest.raises(InvalidPinfl) as caught:
        parse(value[:13] + other)
    assert f"should be {value[13]}, not {other}" in str(caught.value)
