"""RFC 8785 JSON Canonicalization Scheme: the bytes that are hashed and signed."""

from __future__ import annotations

import json
import math
import re
import struct

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from shaffof.canonical_json import NotCanonicalizable, canonicalize


def from_bits(bits: int) -> float:
    return struct.unpack(">d", bits.to_bytes(8, "big"))[0]


# RFC 8785 Appendix B, "Number Serialization Samples" (IEEE 754 bit pattern → canonical text).
APPENDIX_B = [
    (0x0000000000000000, "0"),
    (0x8000000000000000, "0"),
    (0x0000000000000001, "5e-324"),
    (0x8000000000000001, "-5e-324"),
    (0x7FEFFFFFFFFFFFFF, "1.7976931348623157e+308"),
    (0xFFEFFFFFFFFFFFFF, "-1.7976931348623157e+308"),
    (0x4340000000000000, "9007199254740992"),
    (0xC340000000000000, "-9007199254740992"),
    (0x4430000000000000, "295147905179352830000"),
    (0x44B52D02C7E14AF5, "9.999999999999997e+22"),
    (0x44B52D02C7E14AF6, "1e+23"),
    (0x44B52D02C7E14AF7, "1.0000000000000001e+23"),
    (0x444B1AE4D6E2EF4E, "999999999999999700000"),
    (0x444B1AE4D6E2EF4F, "999999999999999900000"),
    (0x444B1AE4D6E2EF50, "1e+21"),
    (0x3EB0C6F7A0B5ED8C, "9.999999999999997e-7"),
    (0x3EB0C6F7A0B5ED8D, "0.000001"),
    (0x41B3DE4355555553, "333333333.3333332"),
    (0x41B3DE4355555554, "333333333.33333325"),
    (0x41B3DE4355555555, "333333333.3333333"),
    (0x41B3DE4355555556, "333333333.3333334"),
    (0x41B3DE4355555557, "333333333.33333343"),
    (0xBECBF647612F3696, "-0.0000033333333333333333"),
    (0x43143FF3C1CB0959, "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "expected"), APPENDIX_B, ids=[f"{b:016x}" for b, _ in APPENDIX_B])
def test_rfc8785_appendix_b_numbers(bits: int, expected: str) -> None:
    assert canonicalize(from_bits(bits)) == expected.encode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (1.5e-7, "1.5e-7"),
        (0.0000123, "0.0000123"),
        (-0.0, "0"),
        (0.0, "0"),
        (100.0, "100"),
        (4.50, "4.5"),
        (2e-3, "0.002"),
        (1e30, "1e+30"),
        (-1.5, "-1.5"),
        (0.1, "0.1"),
        (123456789.125, "123456789.125"),
        (1e16, "10000000000000000"),
        (333333333.3333333, "333333333.3333333"),
        (9007199254740991, "9007199254740991"),
        (-9007199254740991, "-9007199254740991"),
        (0, "0"),
        (-7, "-7"),
    ],
)
def test_numbers_are_written_as_ecmascript_does(value: float, expected: str) -> None:
    assert canonicalize(value) == expected.encode()


def test_rfc8785_section_3_2_2_example() -> None:
    # The input of RFC 8785 §3.2.2, as a JSON text, and its canonical form from §3.2.3 / §3.2.4.
    text = r"""{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }"""
    expected = (
        r'{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        r'"string":"€$\u000f\nA'
        "'"
        r'B\"\\\\\"/"}'
    )
    assert canonicalize(json.loads(text)) == expected.encode("utf-8")


def test_rfc8785_sorting_example_orders_keys_by_utf16_code_units() -> None:
    # RFC 8785 §3.2.3: the emoji U+1F600 is D83D DE00 in UTF-16, so it sorts *before* U+FB33,
    # although its code point is larger.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    result = canonicalize(value)
    assert list(json.loads(result)) == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    assert (
        result
        == (
            '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
            '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
            '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
        ).encode()
    )


def test_nested_objects_are_sorted_and_whitespace_is_dropped() -> None:
    value = {"b": {"z": 1, "a": [{"y": True, "x": None}]}, "a": "s", "aa": [], "": {}}
    assert canonicalize(value) == b'{"":{},"a":"s","aa":[],"b":{"a":[{"x":null,"y":true}],"z":1}}'


def test_booleans_and_null_are_literals_not_numbers() -> None:
    assert canonicalize([True, False, None, 1, 0]) == b"[true,false,null,1,0]"


def test_tuples_are_arrays() -> None:
    assert canonicalize(("a", 1)) == b'["a",1]'


@pytest.mark.parametrize("code", range(0x20))
def test_control_characters_are_escaped(code: int) -> None:
    short = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}
    expected = short.get(code, f"\\u{code:04x}")  # RFC 8785 §3.2.2.2: lowercase hex
    assert canonicalize(chr(code)) == f'"{expected}"'.encode()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"', '"\\""'),
        ("\\", '"\\\\"'),
        ("/", '"/"'),
        ("\x7f", '"\x7f"'),
        ("Oʻzbekiston €", '"Oʻzbekiston €"'),
        ("<&>\u2028", '"<&>\u2028"'),
        ("\U0001f600", '"\U0001f600"'),
    ],
)
def test_other_characters_are_escaped_minimally(text: str, expected: str) -> None:
    assert canonicalize(text) == expected.encode("utf-8")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, [1.0, math.nan], {"a": math.inf}])
def test_nan_and_infinity_are_refused(value: object) -> None:
    with pytest.raises(NotCanonicalizable, match="NaN and Infinity"):
        canonicalize(value)


@pytest.mark.parametrize("value", [{1: "a"}, {"a": 1, 2: "b"}, {None: 1}, {("a",): 1}, [{"ok": {1.5: 0}}]])
def test_non_string_keys_are_refused(value: object) -> None:
    with pytest.raises(NotCanonicalizable, match="keys must be strings"):
        canonicalize(value)


@pytest.mark.parametrize("value", [2**53 + 1, -(2**53) - 1, [10**30 + 1], {"n": 2**64 + 1}, 10**400])
def test_integers_a_double_cannot_hold_exactly_are_refused(value: object) -> None:
    with pytest.raises(NotCanonicalizable, match="cannot be represented exactly"):
        canonicalize(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2**53, b"9007199254740992"),
        (-(2**53), b"-9007199254740992"),
        (2**64, b"18446744073709552000"),
        (10**21, b"1e+21"),
    ],
)
def test_large_integers_a_double_holds_are_written_as_that_double(value: int, expected: bytes) -> None:
    assert canonicalize(value) == expected
    assert canonicalize(value) == canonicalize(float(value))


@pytest.mark.parametrize("value", [2**53 - 1, -(2**53 - 1)])
def test_largest_safe_integers_are_kept_exactly(value: int) -> None:
    assert canonicalize(value) == str(value).encode()


@pytest.mark.parametrize("value", [b"bytes", {1, 2}, object(), {"a": 1j}])
def test_values_that_are_not_json_are_refused(value: object) -> None:
    with pytest.raises(NotCanonicalizable, match="not a JSON value"):
        canonicalize(value)


def test_a_lone_surrogate_is_refused() -> None:
    # Not valid Unicode, hence not I-JSON (RFC 7493 §2.1); no bytes may be produced for it.
    with pytest.raises(NotCanonicalizable, match="lone surrogate"):
        canonicalize("\ud800")


# --- properties -----------------------------------------------------------------------------------

finite_floats = st.floats(allow_nan=False, allow_infinity=False)
NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?(e[+-][1-9][0-9]*)?")


@given(finite_floats)
def test_every_finite_float_is_written_as_a_json_number_that_reads_back_exactly(value: float) -> None:
    text = canonicalize(value).decode()
    assert NUMBER.fullmatch(text), text
    assert float(text) == value


@given(finite_floats.filter(lambda x: x != 0))
def test_exponent_notation_is_used_exactly_outside_1e_minus_6_to_1e21(value: float) -> None:
    # ECMAScript Number::toString: plain decimal for 1e-6 <= |x| < 1e21, exponent form otherwise.
    text = canonicalize(value).decode()
    assert ("e" in text) == (not 1e-6 <= abs(value) < 1e21), text


@given(finite_floats)
def test_no_trailing_zeros_in_fractions(value: float) -> None:
    mantissa = canonicalize(value).decode().partition("e")[0]
    assert not ("." in mantissa and mantissa.endswith("0")), mantissa


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1) | finite_floats | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@given(json_values)
@example({"name": "ok", "amounts": [1.5, -2, None]})
# Integral floats of 2**53 and more are written without a fraction (RFC 8785 Appendix B: "9007199254740992"),
# which Python's json reads back as an int: the canonical bytes must still canonicalize to themselves,
# or a stored canonical document cannot be verified again.
@example(2.0**53)
@example({"big": 1e20})
def test_canonical_form_is_a_fixed_point_of_parse_and_canonicalize(value: object) -> None:
    once = canonicalize(value)
    assert canonicalize(json.loads(once)) == once


def utf16_code_units(text: str) -> list[int]:
    data = text.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


@given(st.dictionaries(st.text(), st.integers(min_value=0, max_value=9), max_size=8), st.data())
def test_key_insertion_order_does_not_matter(value: dict[str, int], data: st.DataObject) -> None:
    shuffled = dict(data.draw(st.permutations(list(value.items()))))
    assert canonicalize(shuffled) == canonicalize(value)


@given(st.dictionaries(st.text(), st.none(), min_size=2, max_size=8))
def test_keys_are_in_ascending_utf16_code_unit_order(value: dict[str, None]) -> None:
    keys = list(json.loads(canonicalize(value)))
    assert sorted(keys) == sorted(value)
    assert [utf16_code_units(k) for k in keys] == sorted(utf16_code_units(k) for k in value)
