"""What the integrity domain needs from other domains, as contracts wired in platform.py.

The population registry (src/shaffof/registries/) supplies family ties and the data tracker
(src/shaffof/privacy/) the personal-data access log; integrity/sources.py reads them and platform.py wires
them in. A platform built without them reports the access-log rule as not run instead of pretending the
log is empty.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session


class FamilyTies(Protocol):
    """Family relations from the population registry (spouse, parents, children, siblings, …)."""

    def relatives(self, session: Session, person_id: int) -> set[int]:
        """The person ids of ``person_id``'s family members, read within the caller's ``session``."""
        ...

    def related_to(self, session: Session, person_ids: Collection[int], person_id: int) -> set[int]:
        """Those of ``person_ids`` who have ``person_id`` among their ``relatives`` — the same answer as asking
        each of them, in a few queries for a whole body's officers (assignment asks at every submission)."""
        ...


@dataclass(frozen=True)
class PersonalDataAccess:
    """One look at a person's data, as the access log (ZRU-547; the data tracker) records it."""

    access_id: str
    person_id: int | None  # None: a person the registries hold who has no account on the platform
    accessed_by_account_id: int | None
    agency_id: int | None
    at: dt.datetime
    case_agency_id: int | None  # the case the access was made for, if the log names one
    case_id: uuid.UUID | None


class PersonalDataAccessLog(Protocol):
    """The registries domain's access log, queried by the monitor's ``access_without_case`` rule."""

    def accesses_since(self, session: Session, since: dt.datetime | None) -> list[PersonalDataAccess]:
        """Accesses recorded after ``since`` (all when None), oldest first."""
        ...
