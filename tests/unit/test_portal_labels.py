"""Every kind of case event the domains append has a label on the timeline in Uzbek, Russian and English, so
a citizen never reads a raw code such as ``decision_sent_back`` on their case page."""

from __future__ import annotations

import pytest

from shaffof.cases.models import CaseState, EventKind, Outcome
from shaffof.web.ui import i18n, labels


@pytest.mark.parametrize("kind", list(EventKind))
def test_every_event_kind_has_a_label_in_each_language(kind: EventKind) -> None:
    assert kind.value in labels.EVENTS, f"no timeline label for the event kind {kind.value!r} (web/ui/labels.py)"
    message = labels.EVENTS[kind.value]
    assert message != kind.value and "_" not in message  # words, not the code
    for language in ("uz", "ru"):
        translated = i18n.gettext(language, message)
        assert translated and translated != message, f"{kind.value}: no {language} translation of {message!r}"


def test_states_and_outcomes_are_labelled_too() -> None:
    assert set(labels.STATES) == {s.value for s in CaseState}
    assert set(labels.OUTCOMES) == {o.value for o in Outcome}
