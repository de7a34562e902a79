"""Storage: the declarative base, engines for SQLite and PostgreSQL, the unit of work, migrations."""

from shaffof.db.base import Base
from shaffof.db.engine import Database
from shaffof.db.uow import UnitOfWork

__all__ = ["Base", "Database", "UnitOfWork"]
