"""The portal's gettext catalogues are complete: every message the pages use is translated into Uzbek and
Russian (English is the message id), no translation is fuzzy, and placeholders survive translation."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from shaffof.web.ui import i18n

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.mark.parametrize("language", ["uz", "ru"])
def test_every_page_message_is_translated(language: str) -> None:
    used = i18n.extract()
    assert len(used) > 150  # the extraction sees the templates and the views
    with (i18n.LOCALE_DIR / f"{language}.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    missing = sorted(m for m in used if not (catalog.get(m) and catalog.get(m).string))
    assert not missing, f"untranslated in {language}.po (run scripts/portal-messages, then translate): {missing}"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy
    for message in catalog:
        if message.id and message.string:
            assert set(PLACEHOLDER.findall(str(message.id))) == set(PLACEHOLDER.findall(str(message.string))), (
                message.id
            )


def test_gettext_falls_back_to_the_english_message_id() -> None:
    assert i18n.gettext("uz", "Sign in") == "Kirish"
    assert i18n.gettext("ru", "Sign in") == "Войти"
    assert i18n.gettext("en", "Sign in") == "Sign in"
