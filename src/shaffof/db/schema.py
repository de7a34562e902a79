"""The full schema: every domain's tables on one metadata (for Alembic and for checks)."""

from __future__ import annotations

import sqlalchemy as sa


def metadata() -> sa.MetaData:
    # Imported for their side effect: each module adds its tables to Base.metadata.
    from shaffof.archive import models as _archive  # noqa: F401
    from shaffof.cases import models as _cases  # noqa: F401
    from shaffof.catalog import models as _catalog  # noqa: F401
    from shaffof.db.base import Base
    from shaffof.deadlines import models as _deadlines  # noqa: F401
    from shaffof.identity import models as _identity  # noqa: F401
    from shaffof.integrity import models as _integrity  # noqa: F401
    from shaffof.ledger import models as _ledger  # noqa: F401
    from shaffof.notify import models as _notify  # noqa: F401
    from shaffof.pki import models as _pki  # noqa: F401

    return Base.metadata
