"""Notification texts: every template in uz/ru/en, with the number, the state and the reason, in the language."""

from __future__ import annotations

import re

import pytest

from shaffof.notify.templates import LANGUAGES, TEMPLATES, UnknownTemplate, choose_language, render

PARAMS = {
    "number": "TOSHHOK-2026-000042",
    "state": "decided",
    "outcome": "rejected",
    "reason": "Talab qilingan hujjat taqdim etilmagan",
    "due": "2026-03-24",
    "agency": {"uz": "Toshkent shahar hokimligi", "ru": "Хокимият города Ташкента", "en": "Tashkent City Hokimiyat"},
    "new_number": "TOSHHOK-2026-000043",
    "review_number": "VAZIRLAR-2026-000007",
}


@pytest.mark.parametrize("key", sorted(TEMPLATES))
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_template_renders_in_every_language_with_the_number(key: str, language: str) -> None:
    assert set(TEMPLATES[key]) == set(LANGUAGES)
    rendered = render(key, language, PARAMS)
    assert rendered.subject and rendered.body
    assert "\n" not in rendered.subject
    if key.startswith("case."):  # a notice about a case names it (privacy.accessed is about no case)
        assert "TOSHHOK-2026-000042" in rendered.subject + rendered.body or "VAZIRLAR-2026-000007" in rendered.subject
    assert "{{" not in rendered.body and "{%" not in rendered.body
    # No language leaks into another: Cyrillic only in Russian.
    has_cyrillic = bool(re.search("[а-яА-Я]", rendered.subject + rendered.body))
    assert has_cyrillic == (language == "ru")


def test_state_outcome_reason_date_and_agency_are_shown_in_the_language() -> None:
    uz = render("case.decided", "uz", PARAMS)
    ru = render("case.decided", "ru", PARAMS)
    en = render("case.decided", "en", PARAMS)
    assert "rad etildi" in uz.body and "qaror qabul qilingan" in uz.body
    assert "отказано" in ru.body and "принято решение" in ru.body
    assert "rejected" in en.body and "State: decided" in en.body
    for rendered in (uz, ru, en):
        assert PARAMS["reason"] in rendered.body
    assert "24.03.2026" in render("case.registered", "ru", PARAMS).body
    assert "24 Mar 2026" in render("case.registered", "en", PARAMS).body
    assert "Хокимият города Ташкента" in render("case.forwarded", "ru", PARAMS).body
    assert "Tashkent City Hokimiyat" in render("case.forwarded", "en", PARAMS).body


def test_optional_values_leave_no_empty_labels() -> None:
    params = {"number": "YUNUSHOK-2026-000001", "state": "registered"}
    body = render("case.registered", "uz", params).body
    assert "muddati" not in body  # no due date given: the sentence about it is left out
    forwarded = render("case.forwarded", "en", params | {"agency": "TOSHHOK"}).body
    assert "Reason" not in forwarded and "new number" not in forwarded


def test_unknown_template_and_language() -> None:
    with pytest.raises(UnknownTemplate):
        render("case.no-such-template", "uz", PARAMS)
    assert choose_language("ru") == "ru"
    assert choose_language("de") == "uz"
    assert choose_language(None) == "uz"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_access_notice_names_the_agency_the_purpose_and_the_stated_reason(language: str) -> None:
    params = {**PARAMS, "categories": "identity, address", "purpose": "appeal-handling"}
    rendered = render("privacy.accessed", language, params)
    assert PARAMS["agency"][language] in rendered.subject  # type: ignore[index]
    assert "identity, address" in rendered.body and "appeal-handling" in rendered.body
    assert "Talab qilingan hujjat taqdim etilmagan" in rendered.body
