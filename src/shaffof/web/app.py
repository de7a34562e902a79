"""The composition root: ``create_app(settings)`` wires settings, database, services and routers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.base import RequestResponseEndpoint

from shaffof import __version__
from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.observability import get_logger
from shaffof.platform import Platform
from shaffof.web import problems
from shaffof.web.api import admin, auth, cases, catalog, health, officer
from shaffof.web.ui import views

log = get_logger("shaffof")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
# The API docs page loads Swagger UI from the package's own CDN default; keep CSP off that page only.
PAGE_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'"


def create_app(settings: Settings | None = None, *, db: Database | None = None) -> FastAPI:
    settings = settings or Settings()
    platform = Platform.build(settings, db)
    for warning in settings.unsafe_choices():
        log.warning("unsafe configuration", problem=warning, env=settings.env.value)

    app = FastAPI(
        title="Shaffof API",
        version=__version__,
        description="Public services and appeals under the law of Uzbekistan. Errors are RFC 9457 problem+json.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.platform = platform
    problems.install(app)

    @app.middleware("http")
    async def _security_headers(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        if not request.url.path.startswith("/api/v1/docs"):
            response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        return response

    for router in (auth.router, catalog.router, cases.router, officer.router, admin.router):
        app.include_router(router, prefix="/api/v1")
    app.include_router(health.router)
    app.include_router(views.router)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "ui" / "static")), name="static")
    return app
