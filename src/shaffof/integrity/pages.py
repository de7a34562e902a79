"""The head's board of findings (``/integrity/findings``) and the officer accountability report
(``/integrity/officers``): plain server-rendered pages in uz/ru/en that work without JavaScript, for heads
of the body and auditors signed in with a session. Who sees what is decided by the domain; a refusal is
rendered as a page with the domain's message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from shaffof.errors import DomainError
from shaffof.web.deps import OptionalActor, PlatformDep
from shaffof.web.ui.views import LANGUAGES, choose_language, domain_templates

router = APIRouter(include_in_schema=False)

templates = domain_templates(Path(__file__).parent / "templates")
# base.html is the portal's: its texts (gettext), date filters, navigation, account and CSRF helpers.

COMMON = {
    "uz": {"skip": "Asosiy mazmunga o'tish", "language": "Til", "signin": "Avval tizimga kiring."},
    "ru": {"skip": "Перейти к основному содержанию", "language": "Язык", "signin": "Сначала войдите в систему."},
    "en": {"skip": "Skip to main content", "language": "Language", "signin": "Sign in first."},
}
TEXTS: dict[str, dict[str, str]] = {
    "uz": {
        "findings": "Halollik monitori: topilmalar",
        "officers": "Xodimlar hisoboti",
        "severity": "Darajasi",
        "rule": "Qoida",
        "case": "Ish",
        "officer": "Xodim",
        "basis": "Asos",
        "seen": "Aniqlangan",
        "none": "Ochiq topilmalar yo'q.",
        "severity_high": "yuqori",
        "severity_medium": "o'rta",
        "severity_low": "past",
        "cases": "Ishlar",
        "decided": "Qarorlar",
        "on_time": "O'z vaqtida, %",
        "reversed": "Qayta ko'rib chiqishda bekor qilingan",
        "open_findings": "Ochiq topilmalar",
        "late_cases": "Kechikkanlar",
        "rating": "O'rtacha baho (1–5)",
    },
    "ru": {
        "findings": "Монитор добросовестности: находки",
        "officers": "Отчёт по сотрудникам",
        "severity": "Серьёзность",
        "rule": "Правило",
        "case": "Дело",
        "officer": "Сотрудник",
        "basis": "Основание",
        "seen": "Обнаружено",
        "none": "Открытых находок нет.",
        "severity_high": "высокая",
        "severity_medium": "средняя",
        "severity_low": "низкая",
        "cases": "Дела",
        "decided": "Решения",
        "on_time": "В срок, %",
        "reversed": "Отменено при пересмотре",
        "open_findings": "Открытые находки",
        "late_cases": "С опозданием",
        "rating": "Средняя оценка (1–5)",
    },
    "en": {
        "findings": "Integrity monitor: findings",
        "officers": "Officer accountability report",
        "severity": "Severity",
        "rule": "Rule",
        "case": "Case",
        "officer": "Officer",
        "basis": "Basis",
        "seen": "First seen",
        "none": "No open findings.",
        "severity_high": "high",
        "severity_medium": "medium",
        "severity_low": "low",
        "cases": "Cases",
        "decided": "Decisions",
        "on_time": "On time, %",
        "reversed": "Reversed on review",
        "open_findings": "Open findings",
        "late_cases": "Late",
        "rating": "Average rating (1–5)",
    },
}


def _render(request: Request, name: str, language: str, title_key: str, **context: Any) -> HTMLResponse:
    t = COMMON[language] | TEXTS[language]
    t = t | {"title": t[title_key]}
    status = context.pop("status", 200)
    page = {"t": t, "lang": language, "languages": LANGUAGES, **context}
    return templates.TemplateResponse(request, name, page, status_code=status)


def _refused(request: Request, language: str, title_key: str, status: int, message: str) -> HTMLResponse:
    return _render(request, "integrity_refused.html", language, title_key, message=message, status=status)


@router.get("/integrity/findings", response_class=HTMLResponse)
def findings_page(
    request: Request, platform: PlatformDep, actor: OptionalActor, lang: str | None = Query(default=None, max_length=5)
) -> HTMLResponse:
    language = choose_language(request, lang)
    if actor is None:
        return _refused(request, language, "findings", 401, COMMON[language]["signin"])
    try:
        rows = platform.integrity.findings(actor, language=language)
    except DomainError as error:
        return _refused(request, language, "findings", error.status, error.detail)
    return _render(request, "integrity_findings.html", language, "findings", findings=rows)


@router.get("/integrity/officers", response_class=HTMLResponse)
def officers_page(
    request: Request,
    platform: PlatformDep,
    actor: OptionalActor,
    lang: str | None = Query(default=None, max_length=5),
    agency: str | None = Query(default=None, max_length=16),
) -> HTMLResponse:
    language = choose_language(request, lang)
    if actor is None:
        return _refused(request, language, "officers", 401, COMMON[language]["signin"])
    try:
        lines = platform.integrity.report(actor, agency)
    except DomainError as error:
        return _refused(request, language, "officers", error.status, error.detail)
    return _render(request, "integrity_officers.html", language, "officers", lines=lines, agency=agency)
