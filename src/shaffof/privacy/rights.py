"""The data subject's rights (ZRU-547): see everything held about oneself (export), and have wrong registry
data corrected — a rectification request becomes a case at the body that owns the registry, answered within
the ZRU-445 term like any application."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from shaffof.cases.schemas import CasePublic, CaseSubmit
from shaffof.db.base import utcnow
from shaffof.errors import FieldError
from shaffof.identity.actor import Actor
from shaffof.privacy.schemas import DataExport
from shaffof.registries.catalog import REGISTRIES
from shaffof.registries.errors import RegistryNotFound

if TYPE_CHECKING:
    from shaffof.cases.service import Cases
    from shaffof.mediator.service import Mediator
    from shaffof.privacy.service import Privacy

RECTIFICATION_SERVICE = "registry-rectification"


class RectificationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    registry: str = Field(description="population, property or business")
    field: str = Field(min_length=2, max_length=100, description="what is wrong, e.g. 'address.house'")
    current_value: str | None = Field(default=None, max_length=500)
    correct_value: str = Field(min_length=1, max_length=500)
    reason: str = Field(min_length=10, max_length=2000)


class SubjectRights:
    def __init__(self, privacy: Privacy, mediator: Mediator, cases: Cases) -> None:
        self._privacy = privacy
        self._mediator = mediator
        self._cases = cases

    def export(self, actor: Actor) -> DataExport:
        """All one's data as JSON: registries (read through the mediator, so the export is itself recorded),
        cases, consents and the access records."""
        registries = self._mediator.own_data(actor)
        return DataExport(
            pinfl=self._privacy.own_pinfl(actor),
            generated_at=utcnow(),
            registries=registries,
            cases=[summary.model_dump(mode="json") for summary in self._cases.my_cases(actor, limit=1000)],
            consents=self._privacy.consents(actor),
            access_records=self._privacy.my_access_log(actor, limit=500),
        )

    def request_rectification(self, actor: Actor, command: RectificationRequest) -> CasePublic:
        """File the correction with the registry's owner as a case (the form is validated as always)."""
        if command.registry not in REGISTRIES:
            raise RegistryNotFound(
                f"There is no registry {command.registry!r}; the registries are {', '.join(sorted(REGISTRIES))}.",
                errors=[FieldError("registry", "unknown registry")],
            )
        owner = REGISTRIES[command.registry].owner_agency
        form = {k: v for k, v in command.model_dump().items() if v is not None}
        submit = CaseSubmit(service=RECTIFICATION_SERVICE, agency=owner, form=form)
        return self._cases.submit(actor, submit).case
