"""The public deadline calculator page (``/deadlines``): a plain form that works without JavaScript.

The date and time are read in the platform's time zone (the form cannot know the visitor's offset
without a script); the result shows the due date, the explanation in the visitor's language and the
norm it comes from. Errors are shown next to their fields.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from shaffof.deadlines.schemas import CalculationPublic
from shaffof.errors import DomainError
from shaffof.web.deps import PlatformDep
from shaffof.web.ui.views import LANGUAGES, choose_language, templates

router = APIRouter(include_in_schema=False)

TEXTS: dict[str, dict[str, str]] = {
    "uz": {
        "title": "Muddat kalkulyatori",
        "intro": "Murojaat yoki ariza qachon ko'rib chiqilishi kerakligini hisoblang: qonun, ish kunlari va bayramlar "
        "hisobga olinadi.",
        "policy": "Muddat turi",
        "received_at": "Qabul qilingan sana va vaqt ({tz})",
        "received_hint": "Masalan: 2026-03-06 10:00",
        "submit": "Hisoblash",
        "result": "Natija",
        "due": "Muddat tugaydi",
        "norm": "Qonun normasi",
        "interim": "Oraliq muddat",
        "errors": "Xatolarni tuzating",
        "skip": "Asosiy mazmunga o'tish",
        "language": "Til",
        "home": "Bosh sahifa",
    },
    "ru": {
        "title": "Калькулятор сроков",
        "intro": "Рассчитайте, когда должно быть рассмотрено обращение или заявление, с учётом закона, рабочих дней "
        "и праздников.",
        "policy": "Вид срока",
        "received_at": "Дата и время поступления ({tz})",
        "received_hint": "Например: 2026-03-06 10:00",
        "submit": "Рассчитать",
        "result": "Результат",
        "due": "Срок истекает",
        "norm": "Норма закона",
        "interim": "Промежуточный срок",
        "errors": "Исправьте ошибки",
        "skip": "Перейти к основному содержанию",
        "language": "Язык",
        "home": "Главная",
    },
    "en": {
        "title": "Deadline calculator",
        "intro": "Work out when an appeal or application must be answered, by the law, working days and holidays.",
        "policy": "Deadline",
        "received_at": "Date and time of receipt ({tz})",
        "received_hint": "For example: 2026-03-06 10:00",
        "submit": "Calculate",
        "result": "Result",
        "due": "Due by",
        "norm": "Legal norm",
        "interim": "Interim deadline",
        "errors": "Correct the errors",
        "skip": "Skip to main content",
        "language": "Language",
        "home": "Home",
    },
}
INVALID_TIME = {
    "uz": "Sana va vaqtni YYYY-MM-DD HH:MM ko'rinishida yozing.",
    "ru": "Укажите дату и время в виде ГГГГ-ММ-ДД ЧЧ:ММ.",
    "en": "Enter the date and time as YYYY-MM-DD HH:MM.",
}


def _received_at(value: str, timezone: str) -> dt.datetime | None:
    """A date-time typed into the form: an explicit offset is kept, otherwise the platform's zone applies."""
    text = value.strip().replace(" ", "T", 1)
    try:
        parsed = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        try:
            parsed = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(9))
        except ValueError:
            return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=ZoneInfo(timezone))


@router.get("/deadlines", response_class=HTMLResponse)
def calculator(
    request: Request,
    platform: PlatformDep,
    lang: str | None = Query(default=None, max_length=5),
    policy: str | None = Query(default=None, max_length=64),
    received_at: str | None = Query(default=None, max_length=64),
) -> HTMLResponse:
    language = choose_language(request, lang)
    deadlines = platform.deadlines
    policies = deadlines.list_policies(language)
    errors: dict[str, str] = {}
    result: CalculationPublic | None = None
    status = 200
    if policy is not None or received_at is not None:
        if not policy or policy not in {p.name for p in policies}:
            errors["policy"] = {
                "uz": "Muddat turini tanlang.",
                "ru": "Выберите вид срока.",
                "en": "Choose a deadline.",
            }[language]
        instant = _received_at(received_at or "", deadlines.timezone)
        if instant is None:
            errors["received_at"] = INVALID_TIME[language]
        if not errors and policy and instant is not None:
            try:
                result = deadlines.calculate(policy, instant, language)
            except DomainError as error:
                errors["received_at"] = error.errors[0].message if error.errors else error.detail
        if errors:
            status = 422
    return templates.TemplateResponse(
        request,
        "deadlines.html",
        {
            "t": TEXTS[language],
            "lang": language,
            "languages": LANGUAGES,
            "policies": policies,
            "policy": policy or "zru445-answer",
            "received_at": received_at or "",
            "errors": errors,
            "result": result,
            "timezone": deadlines.timezone,
        },
        status_code=status,
    )
