"""Deadline policies as data, each citing the norm it implements (ZRU-445, https://lex.uz/docs/3336171).

Counting follows shared/legal.md's reading of the law; the points that are interpretation are settings
of each policy with a documented default (docs/deadlines.md):

- ``unit``: "kun" are calendar days (``calendar_days``); ``working_days`` and ``months`` are there for
  norms and services that say so. Day 0 is the day of receipt in the body's time zone; the deadline
  ends at the end of the last day.
- ``roll_forward`` (default on): a last day that is not a working day moves to the next working day —
  the usual rule of Uzbek procedural law, an interpretation for ZRU-445.
- ``working_week`` (default five days): which weekdays are days off.
- ``clock_stops`` (default off for the statutory policies): while the body waits for information it
  asked the applicant for, the clock stops; a service package may switch it on.
- ``starts_next_working_day_outside_hours``: a receipt after working hours or on a day off counts from
  the next working day (ZRU-445 Art. 23, registration).
- ``extendable``: the answer period may be extended for study (Art. 28(2)) and, exceptionally, by the
  head of the body (Art. 28(3)).

A policy that cites nothing is refused (:class:`PolicyWithoutCitation`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from shaffof.deadlines.calendar import LegalCalendar, WorkingWeek
from shaffof.deadlines.errors import PolicyWithoutCitation, UnknownPolicy
from shaffof.legal import Citation

ZRU_445_URL = "https://lex.uz/docs/3336171"


class Unit(StrEnum):
    calendar_days = "calendar_days"
    working_days = "working_days"
    months = "months"


class DeadlineKind(StrEnum):
    """The deadlines a case can carry."""

    registration = "registration"  # ZRU-445 Art. 23
    answer = "answer"  # ZRU-445 Art. 28 (or the service's own norm)
    proposal_notice = "proposal_notice"  # ZRU-445 Art. 28: tell a proposal's author within 10 days
    forwarding = "forwarding"  # forward to the competent body within 5 days


@dataclass(frozen=True)
class DeadlinePolicy:
    name: str
    amount: int
    unit: Unit
    citation: Citation
    description: str  # English, one line (kept for the case API's ``deadline.description``)
    descriptions: Mapping[str, str] = field(default_factory=dict)  # uz / ru / en
    working_week: WorkingWeek = WorkingWeek.five_days
    roll_forward: bool = True
    clock_stops: bool = False
    starts_next_working_day_outside_hours: bool = False
    extendable: bool = False
    service: str | None = None  # the service package that declared it; None for statutory policies
    counts_from: str | None = None  # a policy whose (unrolled) last day this one counts from

    def __post_init__(self) -> None:
        if not isinstance(self.citation, Citation) or not self.citation.law or not self.citation.title:
            raise PolicyWithoutCitation(
                f"The deadline policy {self.name!r} cites no legal norm; "
                "every deadline must name the law it comes from."
            )
        if self.amount < 0:
            raise ValueError(f"the deadline policy {self.name!r} has a negative amount")

    def describe(self, lang: str) -> str:
        return self.descriptions.get(lang) or self.description

    def due_at(
        self,
        received_at: dt.datetime,
        timezone: str,
        calendar: LegalCalendar | None = None,
    ) -> dt.datetime:
        """The instant the deadline ends (the end of the last day, in the body's time zone)."""
        from shaffof.deadlines.counting import compute

        return compute(self, received_at, timezone, calendar or LegalCalendar()).due_at


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day number ``months`` later, or the month's last day when it has fewer days."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (following - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last_day))


def zru445(article: str, part: str | None, title: str) -> Citation:
    return Citation(law="ZRU-445", article=article, part=part, title=title, url=ZRU_445_URL)


STUDY_EXTENSION_CITATION = zru445("28", "2", "Up to one month where additional study, checks or documents are needed")
EXCEPTIONAL_EXTENSION_CITATION = zru445(
    "28", "3", "In exceptional cases the head of the body may extend by at most one more month; the applicant is told"
)

_STATUTORY = (
    DeadlinePolicy(
        "zru445-registration",
        0,
        Unit.working_days,
        zru445(
            "23",
            None,
            "An appeal is registered on the day it is received; after working hours or on a day off, "
            "on the next working day",
        ),
        "registered on the day of receipt, or the next working day",
        {
            "uz": "qabul qilingan kuni, ish vaqtidan keyin yoki dam olish kuni kelganda — "
            "keyingi ish kuni ro'yxatga olinadi",
            "ru": "регистрируется в день поступления, а после рабочего времени или в выходной — "
            "в следующий рабочий день",
            "en": "registered on the day of receipt; after working hours or on a day off, on the next working day",
        },
        starts_next_working_day_outside_hours=True,
    ),
    DeadlinePolicy(
        "zru445-answer",
        15,
        Unit.calendar_days,
        zru445("28", "1", "Applications and complaints are considered within 15 days of receipt"),
        "15 days from receipt by the competent body",
        {
            "uz": "vakolatli organ qabul qilgan kundan boshlab 15 kun",
            "ru": "15 дней со дня поступления в компетентный орган",
            "en": "15 days from receipt by the competent body",
        },
        extendable=True,
    ),
    DeadlinePolicy(
        "zru445-study-extension",
        1,
        Unit.months,
        STUDY_EXTENSION_CITATION,
        "up to 1 month from receipt where additional study is needed",
        {
            "uz": "qo'shimcha o'rganish zarur bo'lsa, qabul qilingan kundan boshlab 1 oygacha",
            "ru": "до 1 месяца со дня поступления, если требуется дополнительное изучение",
            "en": "up to 1 month from receipt where additional study is needed",
        },
    ),
    DeadlinePolicy(
        "zru445-exceptional-extension",
        1,
        Unit.months,
        EXCEPTIONAL_EXTENSION_CITATION,
        "at most 1 more month (after the study extension) by the head of the body",
        {
            "uz": "alohida hollarda organ rahbari qarori bilan yana ko'pi bilan 1 oy",
            "ru": "в исключительных случаях решением руководителя ещё не более 1 месяца",
            "en": "in exceptional cases, at most 1 more month by decision of the head of the body",
        },
        counts_from="zru445-study-extension",
    ),
    DeadlinePolicy(
        "zru445-proposal",
        1,
        Unit.months,
        zru445("28", None, "Proposals are considered within one month"),
        "1 month from receipt",
        {
            "uz": "qabul qilingan kundan boshlab 1 oy",
            "ru": "1 месяц со дня поступления",
            "en": "1 month from receipt",
        },
    ),
    DeadlinePolicy(
        "zru445-proposal-notice",
        10,
        Unit.calendar_days,
        zru445("28", None, "If a proposal needs more study, its author is told in writing within 10 days"),
        "10 days to tell the author that the proposal needs more study",
        {
            "uz": "taklif qo'shimcha o'rganishni talab qilsa, muallifga 10 kun ichida yozma xabar beriladi",
            "ru": "10 дней, чтобы письменно сообщить автору, что предложение требует изучения",
            "en": "10 days to tell the author in writing that the proposal needs more study",
        },
    ),
    DeadlinePolicy(
        "zru445-forwarding",
        5,
        Unit.calendar_days,
        Citation(
            law="ZRU-445",
            title="An appeal outside the body's competence is forwarded to the competent body within 5 days "
            "and the applicant is told (secondary source; see shared/legal.md)",
            url=ZRU_445_URL,
        ),
        "5 days to forward an appeal to the competent body",
        {
            "uz": "vakolatli organga 5 kun ichida yuboriladi",
            "ru": "5 дней на направление в компетентный орган",
            "en": "5 days to forward to the competent body",
        },
    ),
)
POLICIES: Mapping[str, DeadlinePolicy] = MappingProxyType({p.name: p for p in _STATUTORY})

# The names the foundation shipped, kept working (cases and service versions filed under them).
ALIASES: Mapping[str, str] = MappingProxyType(
    {"zru445-ariza": "zru445-answer", "zru445-shikoyat": "zru445-answer", "zru445-taklif": "zru445-proposal"}
)
RESERVED_NAMES = frozenset(POLICIES) | frozenset(ALIASES)


def get_policy(name: str) -> DeadlinePolicy:
    """A statutory policy by its stable name (or a former name)."""
    try:
        return POLICIES[ALIASES.get(name, name)]
    except KeyError:
        raise UnknownPolicy(
            f"There is no deadline policy {name!r}; see GET /api/v1/deadlines/policies.", name=name
        ) from None


def canonical_name(name: str) -> str:
    return ALIASES.get(name, name)


def policy_from_package(service: str, block: Mapping[str, Any]) -> DeadlinePolicy:
    """The policy a service package declares in its ``deadline`` block (validated by the catalog);
    it is named after the service."""
    citation = block.get("citation")
    if not citation:
        raise PolicyWithoutCitation(f"The deadline of the service {service!r} cites no legal norm.")
    unit = Unit(block["unit"])
    amount = int(block["amount"])
    descriptions = dict(block.get("description") or {}) or default_descriptions(amount, unit)
    return DeadlinePolicy(
        name=service,
        amount=amount,
        unit=unit,
        citation=Citation.model_validate(citation),
        description=descriptions["en"],
        descriptions=descriptions,
        working_week=WorkingWeek(block.get("working_week", WorkingWeek.five_days)),
        roll_forward=bool(block.get("roll_forward", True)),
        clock_stops=bool(block.get("clock_stops", False)),
        extendable=bool(block.get("extendable", False)),
        service=service,
    )


def default_descriptions(amount: int, unit: Unit) -> dict[str, str]:
    from shaffof.deadlines.explain import period

    return {lang: period(amount, unit, lang) for lang in ("uz", "ru", "en")}


def deadline_kinds(answer: DeadlinePolicy, appeal: bool) -> dict[DeadlineKind, DeadlinePolicy]:
    """The deadlines a case carries: registration and the answer always; a proposal adds the 10-day
    notice; an appeal under ZRU-445 (ariza, taklif, shikoyat) adds the 5-day forwarding deadline."""
    kinds = {DeadlineKind.registration: POLICIES["zru445-registration"], DeadlineKind.answer: answer}
    if answer.name == "zru445-proposal":
        kinds[DeadlineKind.proposal_notice] = POLICIES["zru445-proposal-notice"]
    if appeal:
        kinds[DeadlineKind.forwarding] = POLICIES["zru445-forwarding"]
    return kinds
