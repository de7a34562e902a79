"""The FEEL unary tests that modellers write into DMN cells, with their standard meaning."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shaffof.automation import feel


@pytest.mark.parametrize(
    ("cell", "value", "expected"),
    [
        ("-", Decimal(5), True),
        ("", "anything", True),
        ("[1..18]", Decimal(18), True),
        ("[1..18]", Decimal(19), False),
        ("[1..18)", Decimal(18), False),
        ("]1..18]", Decimal(1), False),
        ("(1..18)", Decimal("1.5"), True),
        ("< 5", Decimal(4), True),
        ("< 5", Decimal(5), False),
        ("<= 5", Decimal(5), True),
        (">= 3", Decimal(3), True),
        ("> 3", Decimal(3), False),
        ('"bank_card","post_office"', "post_office", True),
        ('"bank_card"', "cash", False),
        ("not(1, 2)", Decimal(3), True),
        ("not(1, 2)", Decimal(2), False),
        ("true", True, True),
        ("false", True, False),
        ("< limit", Decimal(99), True),
        ("< limit", Decimal(100), False),
        ("> 2", "3", False),  # a string never compares with a number
        ("null", None, True),
    ],
)
def test_cells_mean_what_the_standard_says(cell: str, value: feel.Value, expected: bool) -> None:
    assert feel.matches(feel.parse(cell), value, {"limit": Decimal(100)}) is expected


@pytest.mark.parametrize("cell", ["[1..", "1..5", "< ", "[1..5} ", "a b", "not(1", "== 3"])
def test_malformed_cells_are_refused_with_a_reason(cell: str) -> None:
    with pytest.raises(feel.FeelError):
        feel.parse(cell)


def test_an_unknown_name_is_an_error_not_a_silent_mismatch() -> None:
    with pytest.raises(feel.FeelError, match="unknown name 'ceiling'"):
        feel.matches(feel.parse("< ceiling"), Decimal(1), {})


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        ("< 5", ">= 5", False),
        ("<= 5", ">= 5", True),
        ("[1..3]", "(3..6]", False),
        ("[1..3]", "[3..6]", True),
        ('"a", "b"', '"c"', False),
        ('"a", "b"', '"b"', True),
        ("-", "> 100", True),
        ("< limit", "> limit", False),
    ],
)
def test_static_domains_find_overlapping_cells(first: str, second: str, overlap: bool) -> None:
    names = {"limit": Decimal(10)}
    assert feel.domain(feel.parse(first), names).meets(feel.domain(feel.parse(second), names)) is overlap


def test_numbers_are_exact() -> None:
    assert feel.to_value(0.1) == Decimal("0.1")
    assert feel.to_json(Decimal(3)) == 3 and feel.to_json(Decimal("2.5")) == 2.5
    with pytest.raises(feel.FeelError):
        feel.to_value(float("nan"))
