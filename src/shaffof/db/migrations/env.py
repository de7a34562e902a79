"""Alembic environment: runs migrations on the URL given by shaffof.db.migrate (or SHAFFOF settings)."""

from __future__ import annotations

from alembic import context

from shaffof.db.engine import create_engine
from shaffof.db.schema import metadata

config = context.config
target_metadata = metadata()


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from shaffof.config import Settings

    return Settings().resolved_database_url


def run_migrations_online() -> None:
    engine = create_engine(_url())
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


run_migrations_online()
