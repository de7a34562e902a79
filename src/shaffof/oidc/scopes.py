"""What each scope releases, in the words the consent screen shows (uz/ru/en).

The PINFL is a *unique identifier* of the person (ZRU-395 Art. 3) and personal data (ZRU-547): it is released
only under its own scope, ``pinfl``, after the person agreed on the consent screen (ZRU-547 Art. 18, consent as
the legal ground). Consent texts and citations are data, shown to the person.
"""

from __future__ import annotations

from dataclasses import dataclass

OPENID = "openid"


@dataclass(frozen=True)
class ScopeInfo:
    claims: tuple[str, ...]
    title: dict[str, str]
    needs_consent: bool = True


# Scopes for people (authorization code flow).
PERSON_SCOPES: dict[str, ScopeInfo] = {
    OPENID: ScopeInfo(
        claims=("sub",),
        title={
            "uz": "Shu xizmat uchun alohida identifikator",
            "ru": "Отдельный идентификатор для этой службы",
            "en": "An identifier for this service only",
        },
        needs_consent=False,
    ),
    "profile": ScopeInfo(
        claims=("name", "family_name", "given_name", "middle_name", "birthdate", "gender"),
        title={
            "uz": "Familiya, ism, otasining ismi, tug'ilgan sana, jins",
            "ru": "Фамилия, имя, отчество, дата рождения, пол",
            "en": "Last, first and middle name, date of birth, sex",
        },
    ),
    "email": ScopeInfo(
        claims=("email",),
        title={"uz": "Elektron pochta manzili", "ru": "Адрес электронной почты", "en": "E-mail address"},
    ),
    "pinfl": ScopeInfo(
        claims=("pinfl",),
        title={
            "uz": "JShShIR (shaxsiy identifikatsiya raqami)",
            "ru": "ПИНФЛ (персональный идентификационный номер)",
            "en": "PINFL (personal identification number)",
        },
    ),
}

# Scopes of agency systems (client credentials): what an API client may call.
API_SCOPES: dict[str, str] = {
    "catalog.read": "read the service catalogue",
    "cases.read": "read the agency's case queue",
}

ALL_SCOPES = (*PERSON_SCOPES, *API_SCOPES)
CONSENT_CITATION = {
    "law": "ZRU-547",
    "article": "18",
    "title": "Law 'On personal data': consent of the subject as the ground for processing",
}


def claims_for(scopes: list[str]) -> list[str]:
    return [claim for scope in scopes if scope in PERSON_SCOPES for claim in PERSON_SCOPES[scope].claims]


def needing_consent(scopes: list[str]) -> list[str]:
    return [s for s in scopes if s in PERSON_SCOPES and PERSON_SCOPES[s].needs_consent]
