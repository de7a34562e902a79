"""The full schema: every domain's tables on one metadata (for Alembic and for checks)."""

from __future__ import annotations

import sqlalchemy as sa


def metadata() -> sa.MetaData:
    # Imported for their side effect: each module adds its tables to Base.metadata.
    from shaffof.archive import models as _archive  # noqa: F401
    from shaffof.automation import models as _automation  # noqa: F401
    from shaffof.cases import models as _cases  # noqa: F401
    from shaffof.cases import ratings as _ratings  # noqa: F401
    from shaffof.catalog import models as _catalog  # noqa: F401
    from shaffof.db.base import Base
    from shaffof.deadlines import models as _deadlines  # noqa: F401
    from shaffof.identity import models as _identity  # noqa: F401
    from shaffof.integrity import models as _integrity  # noqa: F401
    from shaffof.ledger import models as _ledger  # noqa: F401
    from shaffof.mediator import models as _mediator  # noqa: F401
    from shaffof.notify import models as _notify  # noqa: F401
    from shaffof.oidc import models as _oidc  # noqa: F401
    from shaffof.open311 import models as _open311  # noqa: F401
    from shaffof.pki import models as _pki  # noqa: F401
    from shaffof.privacy import models as _privacy  # noqa: F401
    from shaffof.registries import models as _registries  # noqa: F401
    from shaffof.reports import models as _reports  # noqa: F401

    return Base.metadata
