"""The data tracker page (``/my-data``): who read my data, when, why, on which legal ground, for which
case — and my consents. Server-rendered, no JavaScript; signed in by the browser session."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from shaffof.web.deps import OptionalActor, PlatformDep
from shaffof.web.ui.views import LANGUAGES, choose_language, templates

router = APIRouter(include_in_schema=False)

TEXTS: dict[str, dict[str, str]] = {
    "uz": {
        "title": "Mening maʼlumotlarim kimga koʻrindi",
        "intro": "Shaxsiy maʼlumotlaringizni kim, qachon, qaysi maqsadda va qaysi qonuniy asosda koʻrgani "
        "(ZRU-547, 18-modda). Har bir yozuv oʻzgartirib boʻlmaydigan jurnalga kiritilgan.",
        "sign_in": "Bu sahifani koʻrish uchun tizimga kiring.",
        "citizens_only": "Bu sahifa fuqarolar uchun: oʻz maʼlumotlaringizga kim murojaat qilganini koʻrsatadi.",
        "empty": "Hozircha hech kim maʼlumotlaringizni koʻrmagan.",
        "when": "Qachon",
        "who": "Kim",
        "what": "Qaysi maʼlumotlar",
        "why": "Maqsad",
        "ground": "Qonuniy asos",
        "case": "Murojaat",
        "outcome": "Natija",
        "outside": "sizning murojaatingizdan tashqari",
        "reason": "Koʻrsatilgan sabab",
        "refused": "rad etilgan",
        "allowed": "ruxsat etilgan",
        "consents": "Rozilik berganlarim",
        "no_consents": "Rozilik berilmagan.",
        "recipient": "Oluvchi",
        "until": "Amal qiladi",
        "withdrawn": "qaytarib olingan",
        "active": "amalda",
        "skip": "Asosiy mazmunga oʻtish",
        "language": "Til",
    },
    "ru": {
        "title": "Кто видел мои данные",
        "intro": "Кто, когда, с какой целью и на каком законном основании обращался к вашим персональным данным "
        "(ЗРУ-547, статья 18). Каждая запись внесена в неизменяемый журнал.",
        "sign_in": "Войдите, чтобы увидеть эту страницу.",
        "citizens_only": "Эта страница для граждан: она показывает, кто обращался к вашим данным.",
        "empty": "Пока никто не обращался к вашим данным.",
        "when": "Когда",
        "who": "Кто",
        "what": "Какие данные",
        "why": "Цель",
        "ground": "Законное основание",
        "case": "Обращение",
        "outcome": "Итог",
        "outside": "вне ваших обращений",
        "reason": "Указанная причина",
        "refused": "отказано",
        "allowed": "разрешено",
        "consents": "Мои согласия",
        "no_consents": "Согласий нет.",
        "recipient": "Получатель",
        "until": "Действует до",
        "withdrawn": "отозвано",
        "active": "действует",
        "skip": "Перейти к основному содержанию",
        "language": "Язык",
    },
    "en": {
        "title": "Who saw my data",
        "intro": "Who read your personal data, when, for what purpose and on which legal ground (ZRU-547 Art. 18). "
        "Every entry is also in the tamper-evident ledger.",
        "sign_in": "Sign in to see this page.",
        "citizens_only": "This page is for citizens: it shows who read your own data.",
        "empty": "Nobody has read your data yet.",
        "when": "When",
        "who": "Who",
        "what": "Which data",
        "why": "Purpose",
        "ground": "Legal ground",
        "case": "Case",
        "outcome": "Outcome",
        "outside": "outside your cases",
        "reason": "Stated reason",
        "refused": "refused",
        "allowed": "allowed",
        "consents": "My consents",
        "no_consents": "No consents given.",
        "recipient": "Recipient",
        "until": "Valid until",
        "withdrawn": "withdrawn",
        "active": "in force",
        "skip": "Skip to main content",
        "language": "Language",
    },
}
GROUNDS = {
    "uz": {
        "consent": "rozilik",
        "contract": "shartnoma",
        "legal_obligation": "qonuniy majburiyat",
        "vital_interests": "hayotiy manfaatlar",
    },
    "ru": {
        "consent": "согласие",
        "contract": "договор",
        "legal_obligation": "обязанность по закону",
        "vital_interests": "жизненно важные интересы",
    },
    "en": {
        "consent": "consent",
        "contract": "contract",
        "legal_obligation": "legal obligation",
        "vital_interests": "vital interests",
    },
}


@router.get("/my-data", response_class=HTMLResponse)
def my_data(
    request: Request,
    platform: PlatformDep,
    actor: OptionalActor,
    lang: str | None = Query(default=None, max_length=5),
) -> HTMLResponse:
    language = choose_language(request, lang)
    records, consents, problem, status = [], [], None, 200
    if actor is None:
        problem, status = "sign_in", 401
    elif actor.person_id is None:
        problem, status = "citizens_only", 403
    else:
        records = platform.privacy.my_access_log(actor)
        consents = platform.privacy.consents(actor)
    return templates.TemplateResponse(
        request,
        "my_data.html",
        {
            "t": TEXTS[language],
            "grounds": GROUNDS[language],
            "lang": language,
            "languages": LANGUAGES,
            "records": records,
            "consents": consents,
            "problem": problem,
        },
        status_code=status,
    )
