"""The decision-record page (``/cases/{number}/trace``): why an automated decision came out as it did, in the
applicant's language — the outcome and reasons, the rules that fired with their norms (linked to lex.uz),
every input with its source, the parameters in force, the model version, and how to have a person review it.
Server-rendered, no JavaScript; the data is the same as ``GET /api/v1/cases/{number}/trace``.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from shaffof.errors import DomainError, Unauthenticated
from shaffof.web.deps import OptionalActor, PlatformDep
from shaffof.web.ui.views import LANGUAGES, choose_language, templates

router = APIRouter(include_in_schema=False)

TEXTS: dict[str, dict[str, str]] = {
    "uz": {
        "title": "Avtomatik qaror asoslari",
        "case": "Murojaat",
        "outcome": "Natija",
        "reasons": "Sabablar",
        "rules": "Qoʻllangan qoidalar va qonun normalari",
        "inputs": "Qaror asosidagi maʼlumotlar",
        "name": "Maʼlumot",
        "value": "Qiymat",
        "source": "Manba",
        "parameters": "Amaldagi koʻrsatkichlar",
        "valid": "Amal qilish muddati",
        "model": "Qoidalar versiyasi",
        "decisive_date": "Hal qiluvchi sana",
        "status": "Holat",
        "contest": "Inson tomonidan koʻrib chiqish",
        "review": "Koʻrib chiqish natijasi",
        "error": "Xato",
        "skip": "Asosiy mazmunga oʻtish",
        "language": "Til",
        "approved": "qanoatlantirildi",
        "rejected": "rad etildi",
        "partially_approved": "qisman qanoatlantirildi",
        "left_unconsidered": "koʻrib chiqilmasdan qoldirildi",
        "confirmed": "tasdiqlandi",
        "replaced": "oʻzgartirildi",
    },
    "ru": {
        "title": "Основания автоматического решения",
        "case": "Обращение",
        "outcome": "Результат",
        "reasons": "Причины",
        "rules": "Применённые правила и нормы закона",
        "inputs": "Сведения, на которых основано решение",
        "name": "Сведение",
        "value": "Значение",
        "source": "Источник",
        "parameters": "Действующие показатели",
        "valid": "Срок действия",
        "model": "Версия правил",
        "decisive_date": "Определяющая дата",
        "status": "Состояние",
        "contest": "Рассмотрение человеком",
        "review": "Результат рассмотрения",
        "error": "Ошибка",
        "skip": "Перейти к основному содержанию",
        "language": "Язык",
        "approved": "удовлетворено",
        "rejected": "отказано",
        "partially_approved": "удовлетворено частично",
        "left_unconsidered": "оставлено без рассмотрения",
        "confirmed": "подтверждено",
        "replaced": "изменено",
    },
    "en": {
        "title": "Why the automated decision came out this way",
        "case": "Case",
        "outcome": "Outcome",
        "reasons": "Reasons",
        "rules": "Rules applied and the norms they implement",
        "inputs": "What the decision rests on",
        "name": "Item",
        "value": "Value",
        "source": "Source",
        "parameters": "Parameters in force",
        "valid": "In force",
        "model": "Rules version",
        "decisive_date": "Decisive date",
        "status": "Status",
        "contest": "Review by a person",
        "review": "Review result",
        "error": "Error",
        "skip": "Skip to main content",
        "language": "Language",
        "approved": "approved",
        "rejected": "rejected",
        "partially_approved": "partially approved",
        "left_unconsidered": "left unconsidered",
        "confirmed": "confirmed",
        "replaced": "replaced",
    },
}


@router.get("/cases/{registration_number}/trace", response_class=HTMLResponse)
def trace_page(
    request: Request,
    registration_number: str,
    platform: PlatformDep,
    actor: OptionalActor,
    lang: str | None = Query(default=None, max_length=5),
) -> HTMLResponse:
    language = choose_language(request, lang)
    context: dict[str, object] = {
        "t": TEXTS[language],
        "lang": language,
        "languages": LANGUAGES,
        "number": registration_number,
    }
    try:
        if actor is None:
            raise Unauthenticated("Sign in first to see your case's decision record.")
        record = platform.automation.trace(actor, registration_number)
    except DomainError as error:
        context |= {"record": None, "problem": error.detail}
        return templates.TemplateResponse(request, "decision_trace.html", context, status_code=error.status)
    return templates.TemplateResponse(request, "decision_trace.html", context | {"record": record, "problem": None})
