"""The EGDI calculator: the UN method on raw indicators, the shipped published values and their sources."""

from __future__ import annotations

import statistics

import pytest

from shaffof.reports import egdi as un
from shaffof.reports.errors import CountryNotFound, EgdiInputInvalid

INDICATORS = un.edition("2024").indicators
HEADER = "country," + ",".join(name for component in un.COMPONENTS for name in INDICATORS[component])


def test_each_shipped_egdi_follows_from_its_published_components_to_three_decimals() -> None:
    _, editions = un.load()
    checked = 0
    for year in editions:
        for row in un.reproduce(year):
            if row["computed"] is not None and row["country"].egdi is not None:
                assert row["matches"], (year, row["country"].code, row["computed"], row["country"].egdi)
                checked += 1
    assert checked >= 1  # Uzbekistan 2016: (0.6884 + 0.2463 + 0.6954) / 3 = 0.5434


def test_every_shipped_value_names_its_source_and_none_is_made_up() -> None:
    _, editions = un.load()
    for edition in editions.values():
        for country in edition.countries:
            assert country.sources and all(s.url.startswith("http") for s in country.sources), country.code
    published_2024 = {c.code: c.egdi for c in un.edition("2024").countries}
    assert published_2024["DNK"] == 0.9847 and published_2024["UZB"] == 0.7999  # legal.md
    assert published_2024["EST"] is None  # a rank was found, no value: left empty, not guessed


def test_components_are_z_scored_per_indicator_then_min_max_normalised() -> None:
    # Three countries. TII's indicators disagree, so averaging z-scores differs from averaging raw values.
    raw = {
        "A": {
            "osi_raw": 0.2,
            "internet_users": 90,
            "mobile_subscriptions": 100,
            "active_mobile_broadband": 10,
            "fixed_broadband": 5,
            "adult_literacy": 99,
            "gross_enrolment": 80,
            "expected_years_of_schooling": 14,
            "mean_years_of_schooling": 10,
        },
        "B": {
            "osi_raw": 0.6,
            "internet_users": 50,
            "mobile_subscriptions": 160,
            "active_mobile_broadband": 80,
            "fixed_broadband": 20,
            "adult_literacy": 90,
            "gross_enrolment": 70,
            "expected_years_of_schooling": 12,
            "mean_years_of_schooling": 8,
        },
        "C": {
            "osi_raw": 1.0,
            "internet_users": 70,
            "mobile_subscriptions": 120,
            "active_mobile_broadband": 50,
            "fixed_broadband": 40,
            "adult_literacy": 60,
            "gross_enrolment": 50,
            "expected_years_of_schooling": 10,
            "mean_years_of_schooling": 6,
        },
    }
    components = un.components_from_indicators(raw, INDICATORS)
    assert components["A"]["osi"] == 0.0 and components["C"]["osi"] == 1.0
    assert components["B"]["osi"] == pytest.approx(0.5)

    def z(name: str) -> dict[str, float]:
        values = [raw[c][name] for c in "ABC"]
        mean, sd = statistics.fmean(values), statistics.pstdev(values)
        return {c: (raw[c][name] - mean) / sd for c in "ABC"}

    tii_names = ("internet_users", "mobile_subscriptions", "active_mobile_broadband", "fixed_broadband")
    score = {c: sum(z(n)[c] for n in tii_names) / 4 for c in "ABC"}
    low, high = min(score.values()), max(score.values())
    for country in "ABC":
        assert components[country]["tii"] == pytest.approx((score[country] - low) / (high - low))
    assert components["A"]["hci"] == 1.0 and components["C"]["hci"] == 0.0
    egdi_b = un.egdi(components["B"], un.edition("2024").component_weights)
    assert egdi_b == pytest.approx(sum(components["B"].values()) / 3)


def test_raw_data_errors_name_the_line_and_the_column() -> None:
    text = HEADER + "\nUZB," + ",".join(["1"] * 8) + ",x\nKAZ," + ",".join(["2"] * 9) + "\n"
    with pytest.raises(EgdiInputInvalid) as bad:
        un.read_indicator_csv(text, INDICATORS)
    assert [e.path for e in bad.value.errors] == ["line 2/mean_years_of_schooling"]
    with pytest.raises(EgdiInputInvalid) as missing:
        un.read_indicator_csv("country,internet_users\nUZB,1\n", INDICATORS)
    assert "osi_raw" in [e.path for e in missing.value.errors]
    with pytest.raises(EgdiInputInvalid):
        un.components_from_indicators({"UZB": {}}, INDICATORS)


def test_where_a_country_stands_and_what_moves_it_most() -> None:
    standing = un.standing("2016", "uzb")
    assert standing.moves_most == "tii"  # 0.2463: the farthest from the top, each component weighing a third
    assert standing.gains["tii"] == pytest.approx((1 - 0.2463) / 3, abs=1e-4)
    assert standing.group == "high"
    uzbekistan = un.standing("2024", "UZB")
    assert (uzbekistan.group, uzbekistan.country.rank, uzbekistan.moves_most) == ("very_high", 63, None)
    with pytest.raises(CountryNotFound):
        un.standing("2024", "EST")  # no published value shipped
    assert [un.group(x) for x in (0.9, 0.75, 0.6, 0.3, 0.1)] == ["very_high", "high", "high", "middle", "low"]
