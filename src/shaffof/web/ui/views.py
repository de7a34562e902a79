"""The pages' shared machinery and the home page: the service catalogue with search and categories.

One Jinja environment (``templates``) serves every page; it carries the gettext callables (``i18n``), the
navigation registry (``nav``) and the form CSRF token, so any module's template that extends ``base.html``
gets the header, language switch, navigation and sign-out form. The language comes from ``?lang=``, then the
language cookie the portal sets, then the browser's Accept-Language; Uzbek (Latin) is the default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from shaffof.catalog import service as catalog
from shaffof.web.deps import PlatformDep
from shaffof.web.ui import i18n, labels, nav
from shaffof.web.ui.browser import LANGUAGE_COOKIE, PageRoute, form_token, page_actor
from shaffof.web.ui.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_

__all__ = ["LANGUAGES", "choose_language", "render", "router", "templates"]

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
i18n.install(templates.env)


def domain_templates(directory: Path) -> Jinja2Templates:
    """Another domain's pages: its ``directory`` looked up first, then the portal's templates, in an overlay of
    the portal's environment — the same gettext, filters, navigation and CSRF helpers that base.html needs."""
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(directory), templates.env.loader])  # type: ignore[list-item]
    return Jinja2Templates(env=templates.env.overlay(loader=loader))


router = APIRouter(include_in_schema=False, route_class=PageRoute)


def _navigation(request: Request) -> list[nav.NavLink]:
    return nav.links_for(page_actor(request))


templates.env.globals.update(
    navigation=_navigation,
    current_actor=page_actor,
    csrf=form_token,
    labels=labels,
)

nav.register(nav.NavLink("/", N_("Services"), nav.everyone, order=10))
nav.register(nav.NavLink("/cases", N_("My cases"), nav.citizens, order=20))
nav.register(nav.NavLink("/officer", N_("Queue"), nav.staff, order=20))
nav.register(nav.NavLink("/officer/board", N_("Deadline board"), nav.heads, order=30))
nav.register(nav.NavLink("/inbox", N_("Inbox"), nav.signed_in, order=40))
nav.register(nav.NavLink("/account", N_("Account security"), nav.signed_in, order=50))
nav.register(nav.NavLink("/verify", N_("Verify a signature"), nav.everyone, order=60))
nav.register(nav.NavLink("/deadlines", N_("Deadline calculator"), nav.everyone, order=70))
# Pages of other domains (their own texts): the data tracker, the statistics, the log, the integrity board.
nav.register(
    nav.NavLink("/my-data", {"uz": "Ma'lumotlarim", "ru": "Мои данные", "en": "My data"}, nav.citizens, order=25)
)
nav.register(
    nav.NavLink(
        "/integrity/findings",
        {"uz": "Halollik nazorati", "ru": "Контроль добросовестности", "en": "Integrity findings"},
        nav.overseers,
        order=35,
    )
)
nav.register(
    nav.NavLink("/statistics", {"uz": "Statistika", "ru": "Статистика", "en": "Statistics"}, nav.everyone, order=80)
)
nav.register(
    nav.NavLink("/transparency", {"uz": "Reyestr jurnali", "ru": "Журнал реестра", "en": "Public log"}, order=90)
)


def choose_language(request: Request, lang: str | None) -> str:
    if lang in LANGUAGES:
        return lang
    query = request.query_params.get("lang")
    if query in LANGUAGES:
        return query
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def render(request: Request, template: str, context: dict[str, Any], *, status_code: int = 200) -> HTMLResponse:
    """A portal page in the visitor's language (``lang`` may be set by the caller)."""
    platform = request.app.state.platform
    context = {
        "lang": choose_language(request, context.get("lang")),
        "languages": LANGUAGES,
        "timezone": platform.settings.timezone,
        **{k: v for k, v in context.items() if k != "lang"},
    }
    return templates.TemplateResponse(request, template, context, status_code=status_code)


@router.get("/", response_class=HTMLResponse)
def index(
    request: Request,
    platform: PlatformDep,
    lang: str | None = Query(default=None, max_length=5),
    q: str | None = Query(default=None, max_length=100),
    category: str | None = Query(default=None, max_length=64),
) -> HTMLResponse:
    language = choose_language(request, lang)
    with platform.db.reading() as session:
        codes = catalog.agency_codes(session)
        agencies = {a.code: a.name for a in catalog.list_agencies(session)}
        every = catalog.list_services(session)
        chosen = catalog.list_services(session, category=category or None, query=q or None)
        services = [
            {
                "code": s.code,
                "name": s.name[language],
                "description": s.description[language],
                "agency": agencies[codes[s.agency_id]][language],
                "kind": labels.KINDS.get(s.kind.value, s.kind.value),
                "category": s.category,
            }
            for s in chosen
        ]
    categories = sorted({s.category for s in every})
    return render(
        request,
        "index.html",
        {
            "lang": language,
            "services": services,
            "q": q or "",
            "category": category or "",
            "categories": [(c, labels.CATEGORIES.get(c, c)) for c in categories],
        },
    )
