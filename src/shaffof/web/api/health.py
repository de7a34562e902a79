"""Liveness and readiness probes."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from shaffof.web.deps import PlatformDep

router = APIRouter(tags=["ops"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(platform: PlatformDep) -> JSONResponse:
    """The database answers and its schema is migrated to the version this code expects."""
    from alembic.script import ScriptDirectory

    from shaffof.db.migrate import alembic_config

    expected = ScriptDirectory.from_config(alembic_config(platform.settings.resolved_database_url)).get_current_head()
    try:
        with platform.db.reading() as session:
            current = session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "reason": "database unreachable or not initialised"}, 503)
    if current != expected:
        return JSONResponse(
            {
                "status": "unavailable",
                "reason": f"schema at {current}, expected {expected}: run shaffof init",
            },
            503,
        )
    return JSONResponse({"status": "ready", "schema": current})
