"""The composition root: ``create_app(settings)`` wires settings, database, services and routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.base import RequestResponseEndpoint

from shaffof import __version__
from shaffof.automation import pages as automation_pages
from shaffof.automation import views as automation_views
from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.integrity import pages as integrity_pages
from shaffof.integrity import views as integrity_views
from shaffof.ledger.sequencer import SequencerThread
from shaffof.live import views as live_views
from shaffof.mediator import views as mediator_views
from shaffof.notify import views as notify_views
from shaffof.observability import get_logger
from shaffof.oidc import views as oidc_views
from shaffof.open311 import views as open311_views
from shaffof.pki import views as pki_views
from shaffof.platform import Platform
from shaffof.privacy import views as privacy_views
from shaffof.reports import views as statistics_views
from shaffof.web import openapi, problems
from shaffof.web.api import admin, archive, auth, cases, catalog, deadlines, health, ledger, officer, ratings
from shaffof.web.limits import BodyLimit, request_ceiling
from shaffof.web.text_guard import TextGuard
from shaffof.web.ui import account as account_views
from shaffof.web.ui import citizen as citizen_views
from shaffof.web.ui import deadlines as deadline_views
from shaffof.web.ui import officer as officer_views
from shaffof.web.ui import personal_data as personal_data_pages
from shaffof.web.ui import portal_pages, views
from shaffof.web.ui import staff_statistics as staff_statistics_views
from shaffof.web.ui import statistics as statistics_pages
from shaffof.web.ui import transparency as transparency_views
from shaffof.web.ui import verify as verify_views

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

    @asynccontextmanager
    async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The ledger's sequencer integrates committed leaves and signs a checkpoint every tick.
        sequencer = SequencerThread(
            platform.ledger.sequence,
            settings.ledger_sequencer_interval_seconds,
            lock_path=settings.data_dir / "ledger-sequencer.lock",  # one per host under --workers N
        )
        sequencer.start()
        try:
            yield
        finally:
            sequencer.stop()
        platform.live.close()  # stop this process's LISTEN thread (PostgreSQL)

    app = FastAPI(
        lifespan=_lifespan,
        title="Shaffof API",
        version=__version__,
        description="Public services and appeals under the law of Uzbekistan. Errors are RFC 9457 problem+json.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.platform = platform
    problems.install(app)
    openapi.install(app)  # the spec declares every operation's problem+json answers
    oidc_views.install(app)  # RFC 6750 bearer errors of agency API calls

    # Innermost, added first: text holding U+0000 is refused with its field named (web/text_guard.py), inside the
    # body ceiling; an oversized body is refused before a route reads it (web/limits.py says why).
    app.add_middleware(TextGuard)
    app.add_middleware(BodyLimit, limit=request_ceiling(settings.max_document_bytes))

    @app.middleware("http")
    async def _security_headers(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        if not request.url.path.startswith("/api/v1/docs"):
            response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        return response

    api_routers = (
        auth.router,
        catalog.router,
        cases.router,
        officer.router,
        admin.router,
        ledger.router,
        archive.router,
    )
    for router in (
        *api_routers,
        notify_views.router,
        live_views.router,
        deadlines.router,
        automation_views.router,
        integrity_views.router,
    ):
        app.include_router(router, prefix="/api/v1")
    for router in (mediator_views.router, privacy_views.router):
        app.include_router(router, prefix="/api/v1")
    for router in (pki_views.router, pki_views.auth_router, pki_views.verify_router):
        app.include_router(router, prefix="/api/v1")
    app.include_router(statistics_views.router, prefix="/api/v1")  # statistics, open data, dictionary
    app.include_router(ratings.router, prefix="/api/v1")
    app.include_router(pki_views.public_router)  # /pki/ca.pem, crl.der, ocsp, tsa: fixed paths for RFC clients
    app.include_router(oidc_views.api_router, prefix="/api/v1")
    app.include_router(oidc_views.router)  # /.well-known/openid-configuration, /oauth/…: fixed paths
    app.include_router(health.router)
    app.include_router(views.router)
    app.include_router(deadline_views.router)
    app.include_router(verify_views.router)
    app.include_router(transparency_views.router)
    app.include_router(automation_pages.router)
    app.include_router(statistics_pages.router)  # /statistics, /statistics/egdi
    app.include_router(open311_views.router)  # /open311/v2: GeoReport v2 for appeals about local issues
    app.include_router(integrity_pages.router)
    app.include_router(personal_data_pages.router)  # /my-data: the data tracker, consents, export, rectification
    app.include_router(staff_statistics_views.router)  # /officer/statistics: the staff dashboard
    for router in (account_views.router, citizen_views.router, officer_views.router):  # the portal's pages
        app.include_router(router)
    for router in portal_pages.ROUTERS:  # four-eyes and conflicts, rating, decision, about/help, admin pages
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "ui" / "static")), name="static")
    return app
