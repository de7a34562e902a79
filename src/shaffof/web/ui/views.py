"""The minimal portal page: the service catalogue and links to the API.

Texts are in Uzbek (Latin, the default), Russian and English; the language comes from ``?lang=`` or the
browser's Accept-Language. The full portal with gettext catalogues is the portal issue's work.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from shaffof.catalog import service as catalog
from shaffof.web.deps import PlatformDep

LANGUAGES = ("uz", "ru", "en")
TEXTS: dict[str, dict[str, str]] = {
    "uz": {
        "title": "Shaffof — davlat xizmatlari",
        "tagline": "Davlat xizmatlari va murojaatlar — onlayn, qonun doirasida, shaffof.",
        "services": "Xizmatlar",
        "agency": "Tashkilot",
        "kind": "Turi",
        "api": "API hujjatlari",
        "skip": "Asosiy mazmunga o'tish",
        "empty": "Hozircha xizmatlar yo'q. `shaffof services import` buyrug'ini bajaring.",
        "language": "Til",
        "search": "Qidirish",
        "statistics": "Raqamlarda shaffoflik",
    },
    "ru": {
        "title": "Shaffof — государственные услуги",
        "tagline": "Государственные услуги и обращения — онлайн, по закону, прозрачно.",
        "services": "Услуги",
        "agency": "Ведомство",
        "kind": "Вид",
        "api": "Документация API",
        "skip": "Перейти к основному содержанию",
        "empty": "Услуг пока нет. Выполните `shaffof services import`.",
        "language": "Язык",
        "search": "Найти",
        "statistics": "Прозрачность в цифрах",
    },
    "en": {
        "title": "Shaffof — public services",
        "tagline": "Public services and appeals — online, lawful, transparent.",
        "services": "Services",
        "agency": "Agency",
        "kind": "Kind",
        "api": "API documentation",
        "skip": "Skip to main content",
        "empty": "No services yet. Run `shaffof services import`.",
        "language": "Language",
        "search": "Search",
        "statistics": "Transparency in numbers",
    },
}
KIND_NAMES = {
    "uz": {"application": "xizmat", "ariza": "ariza", "taklif": "taklif", "shikoyat": "shikoyat"},
    "ru": {"application": "услуга", "ariza": "заявление", "taklif": "предложение", "shikoyat": "жалоба"},
    "en": {"application": "service", "ariza": "application", "taklif": "proposal", "shikoyat": "complaint"},
}

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(include_in_schema=False)


def choose_language(request: Request, lang: str | None) -> str:
    if lang in LANGUAGES:
        return lang
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "uz"


@router.get("/", response_class=HTMLResponse)
def index(
    request: Request,
    platform: PlatformDep,
    lang: str | None = Query(default=None, max_length=5),
    q: str | None = Query(default=None, max_length=100),
) -> HTMLResponse:
    language = choose_language(request, lang)
    with platform.db.reading() as session:
        codes = catalog.agency_codes(session)
        agencies = {a.code: a.name for a in catalog.list_agencies(session)}
        services = [
            {
                "code": s.code,
                "name": s.name[language],
                "description": s.description[language],
                "agency": agencies[codes[s.agency_id]][language],
                "kind": KIND_NAMES[language][s.kind.value],
            }
            for s in catalog.list_services(session, query=q)
        ]
    return templates.TemplateResponse(
        request,
        "index.html",
        {"t": TEXTS[language], "lang": language, "languages": LANGUAGES, "services": services, "q": q or ""},
    )
