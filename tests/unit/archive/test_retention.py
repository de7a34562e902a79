"""The retention schedule is data with its ground: every document type falls in exactly one class, the
periods count from the case's closing, and a schedule that names no ground or misses a field is refused
with the file and the field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from shaffof.archive.retention import ScheduleInvalid, load_schedule


def test_the_shipped_schedule_classifies_every_document_type() -> None:
    schedule = load_schedule()
    assert schedule.class_of("decision").permanent
    assert schedule.class_of("site_plan").retain_years == 10
    assert schedule.class_of("supporting_file").code == "case-document"
    assert schedule.class_of("anything-new").code == "case-document"
    for item in schedule.classes:  # no class pretends a norm fixes its period: legal.md names none
        assert item.basis == "platform-default" and set(item.title) == {"uz", "ru", "en"}
    closed = dt.datetime(2024, 2, 29, 9, 30, tzinfo=dt.UTC)
    assert schedule.class_of("photo").retain_until(closed) == dt.datetime(2029, 2, 28, 9, 30, tzinfo=dt.UTC)
    assert schedule.class_of("decision").retain_until(closed) is None


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (
            "classes: [{code: x, title: {uz: a, ru: b, en: c}, document_types: ['*'], retain_years: 5, "
            "counted_from: case_closed, basis: norm}]",
            "basis 'norm' needs the norm's citation",
        ),
        (
            "classes: [{code: x, title: {uz: a, ru: b, en: c}, document_types: [photo], retain_years: 5, "
            "counted_from: case_closed, basis: platform-default}]",
            "every other document type",
        ),
        (
            "classes: [{code: x, title: {uz: a, ru: b, en: c}, document_types: ['*'], retain_years: 0, "
            "counted_from: case_closed, basis: platform-default}]",
            "classes.0.retain_years",
        ),
        (
            "classes: [{code: x, title: {uz: a}, document_types: ['*'], retain_years: 5, "
            "counted_from: case_closed, basis: platform-default}]",
            "a title in uz, ru and en",
        ),
        ("classes: [", "cannot be read as YAML"),
    ],
)
def test_a_schedule_without_its_ground_or_with_a_bad_field_is_refused(tmp_path: Path, text: str, named: str) -> None:
    file = tmp_path / "retention.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ScheduleInvalid) as refused:
        load_schedule(file)
    assert str(file) in str(refused.value) and named in str(refused.value)
