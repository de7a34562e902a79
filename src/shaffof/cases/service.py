"""Case operations: submit, read, timeline, documents, and the officer's actions.

Every public method is one domain operation: it opens a unit of work (or joins the caller's, for bulk
loaders), checks authorization through :mod:`shaffof.cases.policy`, and commits all of its effects —
case row, events, documents, idempotency record — or none.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shaffof.archive.blobstore import BlobStore
from shaffof.archive.errors import DocumentTooLarge, DocumentTypeRefused
from shaffof.archive.sniff import extension_matches, sniff
from shaffof.canonical_json import NotCanonicalizable, canonicalize
from shaffof.cases import lifecycle, policy
from shaffof.cases.due_dates import DueDates
from shaffof.cases.errors import (
    CaseNotFound,
    ContestWindowClosed,
    IdempotencyKeyReused,
    ReviewAlreadyOpen,
    SignatureRejected,
    SubmissionInvalid,
    TransitionRefused,
)
from shaffof.cases.interfaces import (
    CaseIntegrity,
    DecisionFacts,
    DecisionIssuer,
    IssuedDecision,
    SignatureCheck,
    SubmissionSignatures,
)
from shaffof.cases.lifecycle import OPEN_STATES, Action
from shaffof.cases.models import (
    OPEN_STATES_SQL,
    Case,
    CaseDocument,
    CaseEvent,
    CaseRelation,
    CaseSignature,
    CaseState,
    Channel,
    EventKind,
    IdempotencyKey,
    Outcome,
    RegistrationCounter,
    Upload,
)
from shaffof.cases.replay import signature_key
from shaffof.cases.schemas import (
    AgencyRef,
    CasePublic,
    CaseSubmit,
    CaseSummary,
    Deadline,
    DocumentPublic,
    DocumentRef,
    EventPublic,
    Extend,
    LinkedCase,
    ServiceRef,
    SignaturePublic,
    UploadPublic,
)
from shaffof.catalog import service as catalog
from shaffof.catalog.errors import AgencyNotFound, ServiceNotFound
from shaffof.catalog.models import Agency, Service, ServiceKind
from shaffof.db.base import utcnow
from shaffof.db.engine import Database
from shaffof.db.uow import UnitOfWork, keep
from shaffof.deadlines.calendar import LegalCalendar
from shaffof.deadlines.policies import DeadlineKind, get_policy
from shaffof.deadlines.service import Deadlines
from shaffof.deadlines.sla import ESCALATION_LEVEL, SlaPolicy, SlaState
from shaffof.errors import FieldError
from shaffof.identity import service as identity
from shaffof.identity.actor import Actor
from shaffof.identity.models import Account, Role
from shaffof.legal import Citation

# ZRU-445 Art. 22: a complaint to a higher body is filed within one year of learning of the violation.
CONTEST_WINDOW = dt.timedelta(days=365)
CONTEST_CITATION = Citation(
    law="ZRU-445",
    article="22",
    title="A complaint to a higher body is filed within one year",
    url="https://lex.uz/docs/3336171",
)
LEFT_UNCONSIDERED_CITATION = Citation(
    law="ZRU-445",
    article="29",
    title="Anonymous appeals and appeals by an unauthorised representative are left unconsidered",
    url="https://lex.uz/docs/3336171",
)


# Case lists (queue, my cases) never show the form: leave it in the database (its JSON is the bulk of a row).
_SUMMARY_ONLY = orm.defer(Case.form)


class CaseEventHandler(Protocol):
    """Called for every appended case event, inside the operation's transaction (ledger leaves,
    notification outbox rows, …). ``UnitOfWork.of(session)`` gives access to after-commit hooks."""

    def __call__(self, session: Session, case: Case, event: CaseEvent) -> None: ...


class CaseReadHandler(Protocol):
    """Called when someone reads or works on a case, in a transaction that commits before the data is
    returned (the data tracker's access records: no record, no data). ``categories`` name what was read."""

    def __call__(self, session: Session, actor: Actor, case: Case, categories: tuple[str, ...]) -> None: ...


class CaseEventBatchHandler(Protocol):
    """The same, for many events of one bulk operation at once (a calendar change moving a million
    deadlines): a subscriber whose per-event work has a set-based form (one COPY of a million ledger leaves
    rather than a million INSERTs) registers it beside its per-event handler."""

    def __call__(self, session: Session, events: Sequence[tuple[Case, CaseEvent]]) -> None: ...


@dataclass(frozen=True)
class _Signed:
    """A verified, timestamped submission signature, ready to be kept with the case."""

    check: SignatureCheck
    token: str
    timestamp: dt.datetime

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.token.encode()).hexdigest()

    def evidence(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "certificate_serial": self.check.certificate_serial}

    def row(self, case: Case, event_seq: int) -> CaseSignature:
        assert self.check.signing_time is not None
        return CaseSignature(
            agency_id=case.agency_id,
            case_id=case.id,
            event_seq=event_seq,
            purpose="submission",
            format="jws",
            signer=self.check.signer,
            certificate_serial=self.check.certificate_serial,
            signing_time=self.check.signing_time,
            timestamp=self.timestamp,
            sha256=self.sha256,
            token=self.token,
        )


@dataclass
class _Filed:
    """A case filed in this transaction with the documents and signatures filed with it."""

    case: Case
    documents: list[CaseDocument] = field(default_factory=list)
    signatures: list[CaseSignature] = field(default_factory=list)


@dataclass
class SlaReport:
    checked: int = 0
    changed: dict[str, int] = field(default_factory=dict)
    escalated: int = 0


class Escalate(Protocol):
    """Tell the responsible people of ``agency_id`` that a case is overdue; returns how many were told."""

    def __call__(self, session: Session, case: Case, agency_id: int, state: SlaState) -> int: ...


@dataclass(frozen=True)
class SubmitResult:
    case: CasePublic
    created: bool  # False when an idempotent retry returned the first result


class Cases:
    """The cases domain service (built once by the composition root)."""

    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        *,
        timezone: str,
        max_document_bytes: int,
        clock: Callable[[], dt.datetime] = utcnow,
        event_handlers: Sequence[CaseEventHandler] = (),
        deadlines: Deadlines | None = None,
        signatures: SubmissionSignatures | None = None,
        sla_policy: SlaPolicy | None = None,
        integrity: CaseIntegrity | None = None,
    ) -> None:
        self._db = db
        self._integrity = integrity  # fair assignment, recusal, four-eyes (shaffof.integrity)
        self._signatures = signatures
        self.sla_policy = sla_policy or SlaPolicy()
        self.deadlines = deadlines or Deadlines(db, timezone=timezone)
        self._due = DueDates(self.deadlines)
        self._event_handlers = list(event_handlers)
        self._read_handlers: list[CaseReadHandler] = []
        self._batch_handlers: dict[CaseEventHandler, CaseEventBatchHandler] = {}
        self._blobs = blobs
        self._tz = ZoneInfo(timezone)
        self._timezone = timezone
        self._max_document_bytes = max_document_bytes
        self.clock = clock

    @contextmanager
    def _work(self, uow: UnitOfWork | None) -> Iterator[tuple[UnitOfWork, bool]]:
        if uow is not None:
            yield uow, False
            return
        with self._db.uow() as own:
            yield own, True

    # ------------------------------------------------------------------ documents

    def upload(
        self,
        actor: Actor,
        *,
        filename: str,
        declared_type: str | None,
        data: bytes,
        uow: UnitOfWork | None = None,
    ) -> UploadPublic:
        """Stage a document for a later submission or answer. The type is sniffed from the content."""
        if len(data) > self._max_document_bytes:
            raise DocumentTooLarge(
                f"The document is {len(data):,} bytes; the limit is {self._max_document_bytes:,} bytes.",
                errors=[FieldError("file", "too large")],
            )
        media_type = sniff(data[:16])
        if media_type is None:
            raise DocumentTypeRefused(
                "The file is not a PDF, PNG or JPEG document (judged by its content).",
                errors=[FieldError("file", "unsupported content")],
            )
        declared = (declared_type or "").split(";")[0].strip().lower()
        if declared and declared not in ("application/octet-stream", media_type):
            raise DocumentTypeRefused(
                f"The file is labelled {declared} but its content is {media_type}; upload it with the right type.",
                errors=[FieldError("file", "mislabelled")],
            )
        safe_name = _safe_filename(filename)
        if not extension_matches(safe_name, media_type):
            raise DocumentTypeRefused(
                f"The file name {safe_name!r} does not match its content ({media_type}).",
                errors=[FieldError("file", "file name extension does not match the content")],
            )
        with self._work(uow) as (work, own):
            blob = self._blobs.put(work, data, media_type)
            upload = Upload(
                account_id=actor.account_id,
                sha256=blob.sha256,
                filename=safe_name,
                media_type=media_type,
                size=len(data),
                created_at=self.clock(),
            )
            work.session.add(upload)
            work.session.flush()
            result = UploadPublic(
                id=upload.id, sha256=blob.sha256, filename=safe_name, media_type=media_type, size=len(data)
            )
            if own:
                work.commit()
        return result

    def document_content(self, actor: Actor, registration_number: str, sha256: str) -> tuple[DocumentPublic, bytes]:
        with self._db.reading() as session:
            case = self._load(session, registration_number)
            policy.ensure_can_read(actor, case)
            document = session.get(CaseDocument, (case.agency_id, case.id, sha256))
            if document is None:
                raise CaseNotFound(f"Case {registration_number} has no document {sha256}.")
            content = _document_public(document), self._blobs.read(sha256)
        self._record_read(actor, case, ("case_documents",))
        return content

    # ------------------------------------------------------------------ submission

    def submit(
        self,
        actor: Actor,
        command: CaseSubmit,
        *,
        idempotency_key: str | None = None,
        uow: UnitOfWork | None = None,
    ) -> SubmitResult:
        """Receive and register an application or appeal (ZRU-445 Art. 23: registered on receipt)."""
        policy.ensure_can_submit(actor)
        try:
            request_hash = hashlib.sha256(canonicalize(command.model_dump(mode="json"))).hexdigest()
        except NotCanonicalizable as error:
            raise SubmissionInvalid(
                f"The submission holds a value JSON cannot carry faithfully: {error}.",
                errors=[FieldError("form", str(error))],
            ) from None
        once = signature_key(command.signature) if command.signature is not None else None
        try:
            with self._work(uow) as (work, own):
                session = work.session
                recorded = self._recorded(session, actor, idempotency_key, once)
                if idempotency_key is not None:
                    earlier = self._replay(session, recorded.get(idempotency_key), request_hash)
                    if earlier is not None:
                        return SubmitResult(earlier, created=False)
                if once is not None:
                    self._refuse_replayed_signature(session, recorded.get(once))
                with session.no_autoflush:  # one flush below writes the case's rows in batches, not step by step
                    filed = self._receive(work, actor, command)
                case = filed.case
                for key in (idempotency_key, once):
                    if key is not None:
                        session.add(
                            IdempotencyKey(
                                account_id=actor.account_id,
                                key=key,
                                request_hash=request_hash,
                                agency_id=case.agency_id,
                                case_id=case.id,
                                created_at=case.received_at,
                            )
                        )
                session.flush()
                view = self._view(session, case, filed=filed)
                if own:
                    work.commit()
                return SubmitResult(view, created=True)
        except IntegrityError:
            # A concurrent retry with the same key committed first: answer with its result; a concurrent
            # replay of the same signature without that key is refused as any replay is.
            if uow is not None or (idempotency_key is None and once is None):
                raise
            with self._db.reading() as session:
                recorded = self._recorded(session, actor, idempotency_key, once)
                earlier = (
                    self._replay(session, recorded.get(idempotency_key), request_hash) if idempotency_key else None
                )
                if earlier is None and once is not None:
                    self._refuse_replayed_signature(session, recorded.get(once))
            if earlier is None:
                raise
            return SubmitResult(earlier, created=False)

    @staticmethod
    def _recorded(session: Session, actor: Actor, *keys: str | None) -> dict[str, IdempotencyKey]:
        """What the actor already filed under these keys (an Idempotency-Key, a signature's), in one query."""
        wanted = [key for key in keys if key is not None]
        if not wanted:
            return {}
        rows = session.scalars(
            sa.select(IdempotencyKey).where(
                IdempotencyKey.account_id == actor.account_id, IdempotencyKey.key.in_(wanted)
            )
        )
        return {row.key: row for row in rows}

    def _refuse_replayed_signature(self, session: Session, record: IdempotencyKey | None) -> None:
        """Refuse a signed submission whose signature already filed a case (cases/replay.py says why)."""
        if record is None:
            return
        case = session.get(Case, (record.agency_id, record.case_id))
        number = case.registration_number if case is not None else "another case"
        raise SignatureRejected(
            f"This signed submission was already filed as {number}. To apply again, sign the new submission; "
            "to repeat a request whose answer was lost, send it with the same Idempotency-Key.",
            errors=[FieldError("signature", "replayed: this signature already filed a case")],
            reason="replayed",
            case=number,
        )

    def _replay(self, session: Session, record: IdempotencyKey | None, request_hash: str) -> CasePublic | None:
        if record is None:
            return None
        if record.request_hash != request_hash:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was already used for a different submission; use a new key for a new submission.",
                errors=[FieldError("Idempotency-Key", "reused with a different body")],
            )
        case = session.get(Case, (record.agency_id, record.case_id))
        assert case is not None
        return self._view(session, case)

    def _receive(self, uow: UnitOfWork, actor: Actor, command: CaseSubmit) -> _Filed:
        session = uow.session
        errors: list[FieldError] = []
        try:
            service = catalog.get_service(session, command.service)
        except ServiceNotFound as error:
            raise SubmissionInvalid(error.detail, errors=[FieldError("service", "unknown service")]) from None
        agency = self._recipient(session, service, command.agency, errors)
        errors.extend(_form_errors(service.form_schema, command.form))
        uploads = self._uploads_for(session, actor, service, command.documents, errors, require_all=True)
        if command.signature is None and service.signature_required:
            errors.append(
                FieldError("signature", "this service takes only signed submissions (ZRU-793 electronic signature)")
            )
        if command.signature is not None:
            for index, (ref, (upload, _)) in enumerate(zip(command.documents, uploads, strict=False)):
                if ref.sha256 != upload.sha256:
                    errors.append(
                        FieldError(f"documents/{index}/sha256", "a signed submission names each document's SHA-256")
                    )
        if errors:
            raise SubmissionInvalid(
                f"The submission has {len(errors)} invalid field(s); nothing was filed.", errors=errors
            )
        assert agency is not None
        keep(session, service, agency)  # the response names them; the identity map alone would let them go
        now = self.clock()
        signature = self._check_signature(session, actor, command, now) if command.signature is not None else None
        case = self._open_case(
            session,
            agency=agency,
            service=service,
            kind=service.kind,
            channel=command.channel,
            actor_account_id=actor.account_id,
            person_id=actor.person_id,  # type: ignore[arg-type]  # ensured by ensure_can_submit
            form=command.form,
            received_at=now,
        )
        # The submitted event names exactly what was filed (by digest), so whoever keeps the event —
        # the timeline, later the ledger — keeps evidence of the form and the documents too.
        self._append(
            session,
            case,
            EventKind.submitted,
            None,
            CaseState.submitted,
            actor.account_id,
            now,
            data={
                "service": service.code,
                "service_version": service.version,
                "form_sha256": hashlib.sha256(canonicalize(command.form)).hexdigest(),
                "documents": [{"sha256": u.sha256, "document_type": t} for u, t in uploads],
                **({"signature": signature.evidence()} if signature is not None else {}),
            },
        )
        filed = _Filed(case)
        if signature is not None:
            row = signature.row(case, case.event_count)
            session.add(row)
            filed.signatures.append(row)
        if uploads:
            filed.documents += self._attach(session, case, uploads, actor.account_id, now, case.event_count)
        self._register(session, case, now)
        return filed

    def _check_signature(self, session: Session, actor: Actor, command: CaseSubmit, now: dt.datetime) -> _Signed:
        """Verify the applicant's signature over the submission and timestamp it (ZRU-793: authentic, valid
        certificate, used for its purpose); refuse the submission otherwise — nothing is filed."""
        assert command.signature is not None and actor.person_id is not None
        if self._signatures is None:
            raise SignatureRejected(
                "Signed submissions cannot be checked on this installation (no PKI configured).",
                errors=[FieldError("signature", "no verifier")],
            )
        pinfl = identity.get_person(session, actor.person_id).pinfl
        payload = canonicalize(command.signed_content())
        check = self._signatures.verify(session, command.signature, pinfl, now, payload)
        if not check:
            raise SignatureRejected(
                f"The signature was refused: {check.detail}",
                errors=[FieldError("signature", check.reason)],
                reason=check.reason,
            )
        stamped, stamped_at = self._signatures.timestamp(session, command.signature)
        return _Signed(check, stamped, stamped_at)

    def _recipient(
        self, session: Session, service: Service, code: str | None, errors: list[FieldError]
    ) -> Agency | None:
        allowed = service.recipients or []
        if code is None or ("*" not in allowed and code not in allowed):  # the owner, or none but the owner
            owner = catalog.get_agency(session, service.agency_id)
            if code is None or code == owner.code:
                return owner
            errors.append(FieldError("agency", f"this service is handled by {', '.join(allowed or [owner.code])}"))
            return None
        try:  # a body the service names as a recipient (which may be the owner too)
            return catalog.get_agency_by_code(session, code)
        except AgencyNotFound as error:
            errors.append(FieldError("agency", error.detail))
            return None

    def _uploads_for(
        self,
        session: Session,
        actor: Actor,
        service: Service,
        refs: list[DocumentRef],
        errors: list[FieldError],
        *,
        require_all: bool,
    ) -> list[tuple[Upload, str]]:
        specs = {d["code"]: d for d in service.required_documents}
        found: list[tuple[Upload, str]] = []
        for index, ref in enumerate(refs):
            upload = session.get(Upload, ref.upload_id)
            if upload is None or upload.account_id != actor.account_id:
                errors.append(FieldError(f"documents/{index}/upload_id", "no such upload of yours"))
                continue
            spec = specs.get(ref.document_type)
            if spec is None and require_all:
                errors.append(
                    FieldError(
                        f"documents/{index}/document_type",
                        f"this service takes: {', '.join(specs) or 'no documents'}",
                    )
                )
                continue
            if spec is not None and upload.media_type not in spec["media_types"]:
                errors.append(
                    FieldError(
                        f"documents/{index}/upload_id",
                        f"{upload.media_type} is not accepted for {ref.document_type}; "
                        f"accepted: {', '.join(spec['media_types'])}",
                    )
                )
                continue
            found.append((upload, ref.document_type))
        if require_all:
            given = {ref.document_type for ref in refs}
            for code, spec in specs.items():
                if spec.get("required", True) and code not in given:
                    errors.append(FieldError("documents", f"the document {code!r} is required"))
        return found

    def _open_case(
        self,
        session: Session,
        *,
        agency: Agency,
        service: Service,
        kind: ServiceKind,
        channel: Channel,
        actor_account_id: int,
        person_id: int,
        form: dict[str, Any],
        received_at: dt.datetime,
        deadline_policy: str | None = None,
        parent: Case | None = None,
        relation: CaseRelation | None = None,
    ) -> Case:
        deadline_name = deadline_policy or service.deadline_policy
        case = Case(
            agency_id=agency.id,
            id=uuid.uuid4(),
            registration_number=self._next_registration_number(session, agency, received_at),
            service_id=service.id,
            kind=kind,
            channel=channel,
            state=CaseState.submitted,
            applicant_account_id=actor_account_id,
            applicant_person_id=person_id,
            form=form,
            received_at=received_at,
            deadline_policy=deadline_name,
            due_at=None,
            parent_agency_id=parent.agency_id if parent else None,
            parent_case_id=parent.id if parent else None,
            relation=relation,
            event_count=0,
            updated_at=received_at,
        )
        session.add(case)
        session.flush()
        self._due.open(session, case, service, received_at)
        self._schedule_sla(session, case, received_at)
        return case

    def _next_registration_number(self, session: Session, agency: Agency, at: dt.datetime) -> str:
        """``<AGENCY>-<YEAR>-<NNNNNN>``, gapless per agency and year, unique under concurrency.

        The counter is incremented with UPDATE … RETURNING, which row-locks it on PostgreSQL; on SQLite the write
        transaction holds the database lock. The year's first number creates the row first (insert-or-ignore,
        so two first submissions at once both count on one row). The statements are built once.
        """
        year = at.astimezone(self._tz).year
        dialect = session.get_bind().dialect.name
        keys = {"counter_agency": agency.id, "counter_year": year}
        value = session.execute(_COUNTER_NEXT, keys).scalar_one_or_none()
        if value is None:
            session.execute(_counter_create(dialect), keys)
            value = session.execute(_COUNTER_NEXT, keys).scalar_one()
        return f"{agency.code}-{year}-{value:06d}"

    def _register(self, session: Session, case: Case, at: dt.datetime) -> None:
        self._apply(session, case, Action.register, None, at, reason="registered on receipt (ZRU-445 Art. 23)")
        case.registered_at = at
        self._due.end(session, case, at, [DeadlineKind.registration])
        if self._integrity is not None:  # routed by the body's rule, never picked by officers or applicants
            assignment = self._integrity.assign(session, case, at)
            case.assignee_account_id = assignment.account_id
            self._append(session, case, EventKind.assigned, case.state, case.state, None, at, None, assignment.data)

    def _open_linked_case(
        self,
        session: Session,
        parent: Case,
        *,
        relation: CaseRelation,
        agency: Agency,
        kind: ServiceKind,
        form: dict[str, Any],
        deadline_policy: str,
        actor_account_id: int,
        at: dt.datetime,
        reason: str,
    ) -> Case:
        """Open and register a case that continues ``parent`` at another body (forwarding, review)."""
        service = session.get(Service, parent.service_id)
        assert service is not None
        linked = self._open_case(
            session,
            agency=agency,
            service=service,
            kind=kind,
            channel=parent.channel,
            actor_account_id=parent.applicant_account_id,
            person_id=parent.applicant_person_id,
            form=form,
            received_at=at,
            deadline_policy=deadline_policy,
            parent=parent,
            relation=relation,
        )
        self._append(
            session,
            linked,
            EventKind.submitted,
            None,
            CaseState.submitted,
            actor_account_id,
            at,
            reason,
            {relation.value: parent.registration_number},
        )
        self._register(session, linked, at)
        return linked

    def _attach(
        self,
        session: Session,
        case: Case,
        uploads: list[tuple[Upload, str]],
        actor_account_id: int,
        at: dt.datetime,
        event_seq: int,
    ) -> list[CaseDocument]:
        """Attach the uploads as the case's documents; the documents added (one per distinct content)."""
        added: list[CaseDocument] = []
        for upload, document_type in uploads:
            if session.get(CaseDocument, (case.agency_id, case.id, upload.sha256)) is not None:
                continue  # the same content attached twice is one document
            document = CaseDocument(
                agency_id=case.agency_id,
                case_id=case.id,
                sha256=upload.sha256,
                document_type=document_type,
                filename=upload.filename,
                media_type=upload.media_type,
                size=upload.size,
                added_at=at,
                added_by_account_id=actor_account_id,
                event_seq=event_seq,
            )
            session.add(document)
            added.append(document)
            session.delete(upload)
        session.flush()
        return added

    # ------------------------------------------------------------------ events

    def _append(
        self,
        session: Session,
        case: Case,
        kind: EventKind,
        before: CaseState | None,
        after: CaseState,
        actor_account_id: int | None,
        at: dt.datetime,
        reason: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> CaseEvent:
        case.event_count += 1
        case.updated_at = at
        event = CaseEvent(
            agency_id=case.agency_id,
            case_id=case.id,
            seq=case.event_count,
            kind=kind,
            at=at,
            actor_account_id=actor_account_id,
            state_before=before,
            state_after=after,
            reason=reason,
            data=data or {},
        )
        session.add(event)
        for handler in self._event_handlers:
            handler(session, case, event)
        return event

    def add_event_handler(self, handler: CaseEventHandler, *, batch: CaseEventBatchHandler | None = None) -> None:
        """Subscribe another domain to case events; it runs inside the same transaction. ``batch``, if
        given, receives bulk operations' events in batches instead (it must do what ``handler`` does)."""
        self._event_handlers.append(handler)
        if batch is not None:
            self._batch_handlers[handler] = batch

    def add_read_handler(self, handler: CaseReadHandler) -> None:
        """Subscribe another domain to reads of cases (the data tracker)."""
        self._read_handlers.append(handler)

    def record_read(
        self, actor: Actor, case: Case, categories: tuple[str, ...], session: Session | None = None
    ) -> None:
        """For other domains that show a case's personal data (the automation trace): as ``_record_read``."""
        self._record_read(actor, case, categories, session)

    def _record_read(
        self, actor: Actor, case: Case, categories: tuple[str, ...], session: Session | None = None
    ) -> None:
        """Run the read handlers: in ``session`` (an operation's own transaction), or in a unit of work
        committed before the caller returns the data."""
        if not self._read_handlers:
            return
        if session is not None:
            for handler in self._read_handlers:
                handler(session, actor, case, categories)
            return
        with self._db.uow() as uow:
            for handler in self._read_handlers:
                handler(uow.session, actor, case, categories)
            uow.commit()

    def applicant_of(self, registration_number: str) -> tuple[int, int] | None:
        """The agency and the applicant (person id) of a case, or None if there is no such case."""
        with self._db.reading() as session:
            row = session.execute(
                sa.select(Case.agency_id, Case.applicant_person_id).where(
                    Case.registration_number == registration_number
                )
            ).first()
        return (row.agency_id, row.applicant_person_id) if row is not None else None

    def _apply(
        self,
        session: Session,
        case: Case,
        action: Action,
        actor_account_id: int | None,
        at: dt.datetime,
        reason: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        target, kind = lifecycle.transition(case.state, action)
        before, case.state = case.state, target
        self._append(session, case, kind, before, target, actor_account_id, at, reason, data)

    # ------------------------------------------------------------------ reading

    def _load(self, session: Session, registration_number: str, *, for_update: bool = False) -> Case:
        statement = sa.select(Case).where(Case.registration_number == registration_number)
        if for_update:
            statement = statement.with_for_update()
        case = session.scalar(statement)
        if case is None:
            raise CaseNotFound(f"There is no case with the number {registration_number}.")
        return case

    def get(self, actor: Actor, registration_number: str) -> CasePublic:
        with self._db.reading() as session:
            case = self._load(session, registration_number)
            policy.ensure_can_read(actor, case)
            view = self._view(session, case)
        self._record_read(actor, case, ("case_form", "case_documents"))
        return view

    def timeline(self, actor: Actor, registration_number: str) -> list[EventPublic]:
        with self._db.reading() as session:
            case = self._load(session, registration_number)
            policy.ensure_can_read(actor, case)
            rows = session.execute(
                sa.select(CaseEvent, Account.display_name, Account.role)
                .outerjoin(Account, Account.id == CaseEvent.actor_account_id)
                .where(CaseEvent.agency_id == case.agency_id, CaseEvent.case_id == case.id)
                .order_by(CaseEvent.seq)
            ).all()
            events = [
                EventPublic(
                    seq=event.seq,
                    kind=event.kind,
                    at=event.at,
                    actor=_actor_label(name, role, actor),
                    state_before=event.state_before,
                    state_after=event.state_after,
                    reason=event.reason,
                    data=event.data,
                )
                for event, name, role in rows
            ]
        self._record_read(actor, case, ("case_events",))
        return events

    def documents(self, actor: Actor, registration_number: str) -> list[DocumentPublic]:
        return self.get(actor, registration_number).documents

    def my_cases(self, actor: Actor, *, limit: int = 100, offset: int = 0) -> list[CaseSummary]:
        with self._db.reading() as session:
            statement = (
                sa.select(Case)
                .options(_SUMMARY_ONLY)
                .where(Case.applicant_account_id == actor.account_id)
                .order_by(Case.received_at.desc())
                .limit(limit)
                .offset(offset)
            )
            return self._summaries(session, list(session.scalars(statement)))

    def queue(
        self,
        actor: Actor,
        *,
        state: CaseState | None = None,
        service: str | None = None,
        mine: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> list[CaseSummary]:
        """The agency's open cases, the nearest deadline first."""
        agency_id = policy.ensure_staff(actor)
        with self._db.reading() as session:
            statement = sa.select(Case).options(_SUMMARY_ONLY).where(Case.agency_id == agency_id)
            if state is not None:
                statement = statement.where(Case.state == state)
            else:
                statement = statement.where(Case.state.in_(OPEN_STATES))
            if service is not None:
                statement = statement.where(Case.service_id.in_(sa.select(Service.id).where(Service.code == service)))
            if mine:
                statement = statement.where(Case.assignee_account_id == actor.account_id)
            statement = statement.order_by(Case.due_at.asc().nulls_last(), Case.received_at).limit(limit).offset(offset)
            return self._summaries(session, list(session.scalars(statement)))

    def _summaries(self, session: Session, cases: list[Case]) -> list[CaseSummary]:
        # Only the names a list shows: a service row carries its whole form schema, a case its form (JSON that
        # would be parsed for every row of a queue page and then thrown away).
        services = _column_by_id(session, Service.id, Service.code, {c.service_id for c in cases})
        agencies = _column_by_id(session, Agency.id, Agency.code, {c.agency_id for c in cases})
        assignees = _column_by_id(
            session, Account.id, Account.display_name, {c.assignee_account_id for c in cases if c.assignee_account_id}
        )
        pending = self._integrity.awaiting_approval(session, cases) if self._integrity is not None else set()
        return [
            CaseSummary(
                registration_number=c.registration_number,
                kind=c.kind,
                state=c.state,
                service=services[c.service_id],
                agency=agencies[c.agency_id],
                received_at=c.received_at,
                due_at=c.due_at,
                assignee=assignees[c.assignee_account_id] if c.assignee_account_id else None,
                sla=self._sla_now(c),
                awaiting_approval=c.id in pending,
            )
            for c in cases
        ]

    def _sla_now(self, case: Case) -> SlaState | None:
        """The service-level state as of now: computed from the current (possibly extended) deadline, so a
        reader never waits for the monitor; while information is awaited, the monitor's stored state."""
        if case.state not in OPEN_STATES or case.due_at is None:
            return None
        if case.state is CaseState.info_requested:
            return case.sla_state
        return self.sla_policy.state(case.received_at, case.due_at, self.clock())

    def _view(self, session: Session, case: Case, *, filed: _Filed | None = None) -> CasePublic:
        """The case as its readers see it. ``filed``: what this transaction filed, so its documents and
        signatures are known without reading them back, and nothing links to the case yet."""
        service = session.get(Service, case.service_id)
        agency = session.get(Agency, case.agency_id)
        assert service is not None and agency is not None
        assignee = session.get(Account, case.assignee_account_id) if case.assignee_account_id else None
        deadlines = self._due.views(session, case)
        answer = next((d for d in deadlines if d.kind is DeadlineKind.answer), None)
        if answer is None:  # a case filed before due dates were stored (migration 0003): the policy and due_at
            legacy = get_policy(case.deadline_policy)
            answer = Deadline(
                policy=legacy.name, description=legacy.description, citation=legacy.citation, due_at=case.due_at
            )
        documents = (
            sorted(filed.documents, key=lambda d: (d.added_at, d.sha256))
            if filed is not None
            else session.scalars(
                sa.select(CaseDocument)
                .where(CaseDocument.agency_id == case.agency_id, CaseDocument.case_id == case.id)
                .order_by(CaseDocument.added_at, CaseDocument.sha256)
            ).all()
        )
        links: list[LinkedCase] = []
        if case.parent_case_id is not None and case.relation is not None:
            parent = session.get(Case, (case.parent_agency_id, case.parent_case_id))
            assert parent is not None
            links.append(
                LinkedCase(registration_number=parent.registration_number, relation=case.relation, direction="parent")
            )
        children = (
            []
            if filed is not None
            else session.execute(
                sa.select(Case.registration_number, Case.relation).where(
                    Case.parent_agency_id == case.agency_id, Case.parent_case_id == case.id
                )
            ).all()
        )
        links += [
            LinkedCase(registration_number=number, relation=relation, direction="child")
            for number, relation in children
        ]
        signatures = (
            sorted(filed.signatures, key=lambda s: s.event_seq)
            if filed is not None
            else session.scalars(
                sa.select(CaseSignature)
                .where(CaseSignature.agency_id == case.agency_id, CaseSignature.case_id == case.id)
                .order_by(CaseSignature.event_seq)
            ).all()
        )
        return CasePublic(
            registration_number=case.registration_number,
            kind=case.kind,
            channel=case.channel,
            state=case.state,
            service=ServiceRef(code=service.code, version=service.version, name=service.name),
            agency=AgencyRef(code=agency.code, name=agency.name),
            received_at=case.received_at,
            registered_at=case.registered_at,
            deadline=answer,
            deadlines=deadlines,
            assignee=assignee.display_name if assignee else None,
            outcome=case.outcome,
            outcome_reason=case.outcome_reason,
            decided_at=case.decided_at,
            closed_at=case.closed_at,
            form=case.form,
            documents=[_document_public(d) for d in documents],
            sla=self._sla_now(case),
            links=links,
            signatures=[
                SignaturePublic(
                    purpose=sig.purpose,
                    format=sig.format,
                    signer=sig.signer,
                    certificate_serial=sig.certificate_serial,
                    signing_time=sig.signing_time,
                    timestamp=sig.timestamp,
                    sha256=sig.sha256,
                )
                for sig in signatures
            ],
        )

    # ------------------------------------------------------------------ officer actions

    def _act(
        self,
        actor: Actor,
        registration_number: str,
        check: Callable[[Actor, Case], None],
        work: Callable[[Session, Case, dt.datetime], None],
        uow: UnitOfWork | None,
    ) -> CasePublic:
        with self._work(uow) as (unit, own):
            session = unit.session
            case = self._load(session, registration_number, for_update=True)
            check(actor, case)
            work(session, case, self.clock())
            session.flush()
            view = self._view(session, case)
            self._record_read(actor, case, ("case_form", "case_documents"), session)
            if own:
                unit.commit()
            return view

    def take(
        self,
        actor: Actor,
        registration_number: str,
        *,
        reason: str | None = None,
        uow: UnitOfWork | None = None,
    ) -> CasePublic:
        """Start the review: the officer the case was routed to (or, when nobody eligible was available,
        any officer of the body, who becomes the assignee). A recused officer is refused."""

        def work(session: Session, case: Case, now: dt.datetime) -> None:
            if self._integrity is not None:
                self._integrity.ensure_may_act(session, actor, case, "take", now)
            self._apply(session, case, Action.take, actor.account_id, now, reason, {"assignee": actor.display_name})
            case.assignee_account_id = actor.account_id

        return self._act(actor, registration_number, policy.ensure_can_take, work, uow)

    def reassign(
        self,
        actor: Actor,
        registration_number: str,
        officer_login: str,
        reason: str,
        *,
        uow: UnitOfWork | None = None,
    ) -> CasePublic:
        """The head of the body moves the case to another officer of the body, with a reason (logged)."""

        def work(session: Session, case: Case, now: dt.datetime) -> None:
            if case.state not in OPEN_STATES:
                raise TransitionRefused(
                    f"Case {registration_number} is {case.state.value}; only an open case can be reassigned.",
                    state=case.state.value,
                    action="reassign",
                )
            assignment = self._require_integrity().reassign(session, actor, case, officer_login, reason, now)
            case.assignee_account_id = assignment.account_id
            self._append(
                session,
                case,
                EventKind.reassigned,
                case.state,
                case.state,
                actor.account_id,
                now,
                reason.strip(),
                assignment.data,
            )

        return self._act(actor, registration_number, policy.ensure_is_head, work, uow)

    def _require_integrity(self) -> CaseIntegrity:
        if self._integrity is None:
            raise RuntimeError("no integrity service is wired (platform.py connects shaffof.integrity)")
        return self._integrity

    def request_info(
        self, actor: Actor, registration_number: str, message: str, *, uow: UnitOfWork | None = None
    ) -> CasePublic:
        def work(session: Session, case: Case, now: dt.datetime) -> None:
            lifecycle.transition(case.state, Action.request_info)  # refuse before touching the clock
            stopped = self._due.stop_clock(session, case, now)
            data = {"clock_stopped_at": _utc_text(now)} if stopped else None
            self._apply(session, case, Action.request_info, actor.account_id, now, message, data)
            self._schedule_sla(session, case, now)  # a stopped clock: nothing to check until it restarts

        return self._act(actor, registration_number, policy.ensure_can_decide, work, uow)

    def provide_info(
        self,
        actor: Actor,
        registration_number: str,
        message: str,
        documents: list[DocumentRef],
        *,
        uow: UnitOfWork | None = None,
    ) -> CasePublic:
        """The applicant answers a request for information (with documents, if any)."""

        def work(session: Session, case: Case, now: dt.datetime) -> None:
            service = session.get(Service, case.service_id)
            assert service is not None
            errors: list[FieldError] = []
            uploads = self._uploads_for(session, actor, service, documents, errors, require_all=False)
            if errors:
                raise SubmissionInvalid("Some documents cannot be attached; nothing was sent.", errors=errors)
            lifecycle.transition(case.state, Action.provide_info)
            restarted = self._due.restart_clock(session, case, now)
            self._schedule_sla(session, case, now)
            data: dict[str, Any] = {"documents": [u.sha256 for u, _ in uploads]}
            if restarted is not None:
                data |= {"clock_stopped_at": _utc_text(restarted[1]), "clock_restarted_at": _utc_text(now)}
            self._apply(session, case, Action.provide_info, actor.account_id, now, message, data)
            self._attach(session, case, uploads, actor.account_id, now, case.event_count)
            if restarted is not None and restarted[0].new_due_at != restarted[0].old_due_at:
                self._append(
                    session,
                    case,
                    EventKind.deadline_recomputed,
                    case.state,
                    case.state,
                    None,
                    now,
                    "the clock restarted on the applicant's answer; the stopped time is added",
                    restarted[0].event_data(),
                )

        return self._act(actor, registration_number, policy.ensure_is_applicant, work, uow)

    def forward(
        self,
        actor: Actor,
        registration_number: str,
        agency_code: str,
        reason: str,
        *,
        uow: UnitOfWork | None = None,
    ) -> CasePublic:
        """Send the case to the competent body, which registers it as its own case; its clock starts on
        receipt (ZRU-445, forwarding within 5 days — see shared/legal.md)."""

        def work(session: Session, case: Case, now: dt.datetime) -> None:
            target = catalog.get_agency_by_code(session, agency_code)
            if target.id == case.agency_id:
                raise SubmissionInvalid(
                    "A case cannot be forwarded to the agency that already has it.",
                    errors=[FieldError("agency", "same agency")],
                )
            forwarded = self._open_linked_case(
                session,
                case,
                relation=CaseRelation.forwarded_from,
                agency=target,
                kind=case.kind,
                form=case.form,
                deadline_policy=case.deadline_policy,
                actor_account_id=actor.account_id,
                at=now,
                reason=f"forwarded from {case.registration_number}: {reason}",
            )
            self._apply(
                session,
                case,
                Action.forward,
                actor.account_id,
                now,
                reason,
                {"to_agency": target.code, "new_case": forwarded.registration_number},
            )
            self._due.end(session, case, now)  # forwarded: this body's deadlines end here
            documents = session.scalars(
                sa.select(CaseDocument).where(CaseDocument.agency_id == case.agency_id, CaseDocument.case_id == case.id)
            ).all()
            for document in documents:
                session.add(
                    CaseDocument(
                        agency_id=forwarded.agency_id,
                        case_id=forwarded.id,
                        sha256=document.sha256,
                        document_type=document.document_type,
                        filename=document.filename,
                        media_type=document.media_type,
                        size=document.size,
                        added_at=now,
                        added_by_account_id=document.added_by_account_id,
                        event_seq=forwarded.event_count,
                    )
                )

        return self._act(actor, registration_number, policy.ensure_can_work, work, uow)

    def decide(
        self,
        actor: Actor,
        registration_number: str,
        outcome: Outcome,
        reason: str,
        *,
        signer: DecisionIssuer | None = None,
        uow: UnitOfWork | None = None,
    ) -> CasePublic:
        """Decide the case. With ``signer`` (the officer's own key: ZRU-793 makes it equal to a handwritten
        signature) the decision document is rendered and signed first, and stored with the decision in one
        transaction — refused together; without one the worker seals the document with the body's e-seal
        afterwards (docs/decisions/0004)."""
        decided_at = self.clock()
        if signer is not None and self._needs_second_approval(registration_number, outcome):
            signer = None  # a four-eyes decision is sealed by the body once approved (docs/integrity.md)
        signed = (
            self._sign_decision(actor, registration_number, outcome, reason, decided_at, signer)
            if signer is not None
            else None
        )

        def work(session: Session, case: Case, now: dt.datetime) -> None:
            if self._integrity is not None:
                self._integrity.ensure_may_act(session, actor, case, "decide", now)
                why = self._integrity.needs_second_approval(session, case, outcome)
                if why is not None:
                    lifecycle.transition(case.state, Action.decide)  # refuse a proposal the case could not take
                    data = self._integrity.propose(session, actor, case, outcome, reason, why, now)
                    self._append(
                        session, case, EventKind.decision_proposed, case.state, case.state, actor.account_id, now,
                        reason, data,
                    )  # fmt: skip
                    return
            self._record_decision(session, case, actor.account_id, outcome, reason, now, decided_at, {})
            if signed is not None:
                self._attach_decision(
                    UnitOfWork.of(session),
                    case,
                    signed,
                    now,
                    reason="the decision document, signed by the deciding officer (PAdES, timestamped)",
                )

        return self._act(actor, registration_number, policy.ensure_can_decide, work, uow)

    def decide_automatically(
        self, session: Session, case: Case, outcome: Outcome, reason: str, data: dict[str, Any]
    ) -> None:
        """The service's automated process decided (the automation domain calls this inside its unit of work):
        the same transitions, events and end of deadlines as an officer's decision, with no officer — the
        worker then seals the document with the body's e-seal (docs/decisions/0004)."""
        now = self.clock()
        self._apply(session, case, Action.take, None, now, "taken by the service's automated process")
        self._apply(session, case, Action.decide, None, now, reason, {"outcome": outcome.value, **data})
        self._due.end(session, case, now)
        case.outcome, case.outcome_reason = outcome, reason
        case.decided_at, case.decided_by_account_id = now, None

    def record(
        self,
        session: Session,
        case: Case,
        kind: EventKind,
        reason: str,
        data: dict[str, Any],
        actor_account_id: int | None = None,
    ) -> CaseEvent:
        """Append another domain's fact about the case as an event that leaves its state as it is."""
        return self._append(session, case, kind, case.state, case.state, actor_account_id, self.clock(), reason, data)

    def _record_decision(
        self,
        session: Session,
        case: Case,
        decided_by: int,
        outcome: Outcome,
        reason: str,
        now: dt.datetime,
        decided_at: dt.datetime,
        extra: dict[str, Any],
        event_actor: int | None = None,
    ) -> None:
        data: dict[str, Any] = {"outcome": outcome.value, **extra}
        if outcome is Outcome.left_unconsidered:
            data["citation"] = LEFT_UNCONSIDERED_CITATION.model_dump(mode="json", exclude_none=True)
        self._apply(session, case, Action.decide, event_actor or decided_by, now, reason, data)
        self._due.end(session, case, now)
        case.outcome, case.outcome_reason = outcome, reason
        case.decided_at, case.decided_by_account_id = decided_at, decided_by

    def _needs_second_approval(self, registration_number: str, outcome: Outcome) -> bool:
        if self._integrity is None:
            return False
        with self._db.reading() as session:
            case = self._load(session, registration_number)
            return self._integrity.needs_second_approval(session, case, outcome) is not None

    def approve_decision(self, actor: Actor, registration_number: str, *, uow: UnitOfWork | None = None) -> CasePublic:
        """Four-eyes: a second officer of the body approves the proposed decision, which takes effect now as
        the proposer's decision; the ``decided`` event names both. The body seals the document afterwards."""

        def work(session: Session, case: Case, now: dt.datetime) -> None:
            approved = self._require_integrity().approve(session, actor, case, now)
            self._record_decision(
                session,
                case,
                approved.proposed_by_account_id,
                approved.outcome,
                approved.reason,
                now,
                now,
                approved.data,
                event_actor=actor.account_id,
            )

        return self._act(actor, registration_number, policy.ensure_can_work, work, uow)

    def send_back_decision(
        self, actor: Actor, registration_number: str, reason: str, *, uow: UnitOfWork | None = None
    ) -> CasePublic:
        """Four-eyes: the second officer refuses the proposed decision with a reason; the case stays in review."""

        def work(session: Session, case: Case, now: dt.datetime) -> None:
            data = self._require_integrity().send_back(session, actor, case, reason, now)
            self._append(
                session,
                case,
                EventKind.decision_sent_back,
                case.state,
                case.state,
                actor.account_id,
                now,
                reason.strip(),
                data,
            )

        return self._act(actor, registration_number, policy.ensure_can_work, work, uow)

    def _sign_decision(
        self,
        actor: Actor,
        registration_number: str,
        outcome: Outcome,
        reason: str,
        decided_at: dt.datetime,
        signer: DecisionIssuer,
    ) -> IssuedDecision:
        """Render and sign the document the decision will state, before the write transaction (it takes a few
        hundred milliseconds); the checks run again when the decision is stored."""
        with self._db.reading() as session:
            case = self._load(session, registration_number)
            policy.ensure_can_decide(actor, case)
            lifecycle.transition(case.state, Action.decide)
            facts = self._decision_facts(session, case)
            facts = replace(
                facts,
                decided_at=decided_at,
                outcome=outcome.value,
                reasons=reason,
                officer=actor.display_name,
                citations=self._decision_citations(session, case, outcome),
            )
            return signer.issue(session, facts)

    def close(
        self, actor: Actor, registration_number: str, reason: str, *, uow: UnitOfWork | None = None
    ) -> CasePublic:
        def work(session: Session, case: Case, now: dt.datetime) -> None:
            self._apply(session, case, Action.close, actor.account_id, now, reason)
            case.closed_at = now

        return self._act(actor, registration_number, policy.ensure_can_work, work, uow)

    def extend(
        self, actor: Actor, registration_number: str, command: Extend, *, uow: UnitOfWork | None = None
    ) -> CasePublic:
        """Extend the answer deadline for study (ZRU-445 Art. 28(2)) or, by the head of the body, in an
        exceptional case (Art. 28(3); the applicant is told). Justification required; never past the
        legal maximum; the deadline only moves later."""

        def work(session: Session, case: Case, now: dt.datetime) -> None:
            if case.state not in OPEN_STATES:
                raise TransitionRefused(
                    f"Case {registration_number} is {case.state.value}; only an open case's deadline can be extended.",
                    state=case.state.value,
                    action="extend",
                )
            _moved, data = self._due.extend(
                session, case, actor, command.kind, command.justification, command.days, now
            )
            self._schedule_sla(session, case, now)  # an extension may take a case back to on track
            self._append(
                session,
                case,
                EventKind.extended,
                case.state,
                case.state,
                actor.account_id,
                now,
                command.justification.strip(),
                data,
            )

        return self._act(actor, registration_number, policy.ensure_can_decide, work, uow)

    def recompute_for_calendar_change(
        self, session: Session, changed_on: dt.date, calendar: LegalCalendar, at: dt.datetime, reason: str
    ) -> int:
        """Subscribed to calendar changes (deadlines domain): move the due dates of the open cases whose
        count passes ``changed_on``, each with a ``deadline_recomputed`` event, inside the caller's transaction."""
        return self._due.recompute_for_calendar_change(
            session,
            changed_on,
            calendar,
            at,
            reason,
            self.sla_policy,
            notify=self._dispatch_batch if self._event_handlers else None,
        )

    def _dispatch_batch(self, session: Session, events: Sequence[tuple[Case, CaseEvent]]) -> None:
        for handler in self._event_handlers:
            batch = self._batch_handlers.get(handler)
            if batch is not None:
                batch(session, events)
                continue
            for case, event in events:
                handler(session, case, event)

    def contest(
        self, actor: Actor, registration_number: str, reason: str, *, uow: UnitOfWork | None = None
    ) -> CasePublic:
        """The applicant contests a decision: a review case opens at the higher body (the agency's parent,
        or the agency itself when it has none), with its own complaint deadline."""
        with self._work(uow) as (unit, own):
            session = unit.session
            case = self._load(session, registration_number, for_update=True)
            policy.ensure_is_applicant(actor, case)
            now = self.clock()
            if case.state not in (CaseState.decided, CaseState.closed) or case.decided_at is None:
                raise TransitionRefused(
                    f"Case {registration_number} has no decision yet; only a decision can be contested.",
                    state=case.state.value,
                    action="contest",
                )
            if now - case.decided_at > CONTEST_WINDOW:
                raise ContestWindowClosed(
                    f"The decision was made on {case.decided_at:%Y-%m-%d}; a complaint is filed within one year "
                    f"({CONTEST_CITATION}). A missed term can be restored by the body for good cause."
                )
            open_review = session.scalar(
                sa.select(Case.registration_number).where(
                    Case.parent_agency_id == case.agency_id,
                    Case.parent_case_id == case.id,
                    Case.relation == CaseRelation.review_of,
                    Case.state.in_(OPEN_STATES),
                )
            )
            if open_review is not None:
                raise ReviewAlreadyOpen(f"The decision is already under review in case {open_review}.")
            agency = session.get(Agency, case.agency_id)
            assert agency is not None
            reviewer = session.get(Agency, agency.parent_id) if agency.parent_id else agency
            assert reviewer is not None
            review = self._open_linked_case(
                session,
                case,
                relation=CaseRelation.review_of,
                agency=reviewer,
                kind=ServiceKind.shikoyat,
                form={"contested_case": case.registration_number, "reason": reason},
                deadline_policy="zru445-answer",
                actor_account_id=actor.account_id,
                at=now,
                reason=reason,
            )
            self._append(
                session,
                case,
                EventKind.contested,
                case.state,
                case.state,
                actor.account_id,
                now,
                reason,
                {"review_case": review.registration_number, "reviewing_agency": reviewer.code},
            )
            session.flush()
            view = self._view(session, review)
            if own:
                unit.commit()
            return view

    # ------------------------------------------------------------------ SLA monitor

    def monitor_sla(self, *, escalate: Escalate | None = None, batch_size: int = 500) -> SlaReport:
        """Move open cases through on_track → at_risk → overdue → long_overdue as the clock runs; record each
        change as an event and escalate (overdue: to the head of the body; long overdue: to the higher body).

        The work list is the open cases whose ``next_check_at`` has come (partial index
        ``ix_cases_sla_check``): each operation that moves a deadline or a state sets the instant the state
        next changes, so a pass reads only the cases about to change, not every case near its deadline. A
        case whose clock is stopped keeps its state. Each batch is one transaction.
        """
        now = self.clock()
        report = SlaReport()
        with self._db.reading() as session:
            keys = session.execute(
                sa.select(Case.agency_id, Case.id)
                .where(sa.text(OPEN_STATES_SQL), Case.next_check_at <= now)
                .order_by(Case.next_check_at)
            ).all()
        for start in range(0, len(keys), batch_size):
            with self._db.uow() as uow:
                session = uow.session
                for agency_id, case_id in keys[start : start + batch_size]:
                    case = session.get(Case, (agency_id, case_id), with_for_update=True)
                    if (
                        case is None
                        or case.state not in OPEN_STATES
                        or case.next_check_at is None
                        or case.next_check_at > now  # another worker's pass got there first
                    ):
                        continue
                    report.checked += 1
                    if case.due_at is not None and not self._clock_stopped(session, case):
                        self._apply_sla(session, case, now, escalate, report)
                    self._schedule_sla(session, case, now)
                uow.commit()
        return report

    def _clock_stopped(self, session: Session, case: Case) -> bool:
        return self._due.clock_stopped(session, case)

    def _schedule_sla(self, session: Session, case: Case, now: dt.datetime) -> None:
        """Set when the monitor must next look at the case (deadlines.sla.SlaPolicy.next_check): never while
        it is closed, has no answer deadline, or its clock is stopped (the period is not running)."""
        if case.state not in OPEN_STATES or case.due_at is None or self._clock_stopped(session, case):
            case.next_check_at = None
            return
        case.next_check_at = self.sla_policy.next_check(case.sla_state, case.received_at, case.due_at, now)

    def _apply_sla(
        self, session: Session, case: Case, now: dt.datetime, escalate: Escalate | None, report: SlaReport
    ) -> None:
        assert case.due_at is not None
        target = self.sla_policy.state(case.received_at, case.due_at, now)
        if target is case.sla_state:
            return
        self._append(
            session,
            case,
            EventKind.sla_changed,
            case.state,
            case.state,
            None,
            now,
            data={"from": case.sla_state.value, "to": target.value, "due_at": case.due_at.isoformat()},
        )
        case.sla_state = target
        report.changed[target.value] = report.changed.get(target.value, 0) + 1
        level = ESCALATION_LEVEL[target]
        if level <= case.escalation_level:
            return
        agency = session.get(Agency, case.agency_id)
        assert agency is not None
        to_agency = agency if level == 1 or agency.parent_id is None else session.get(Agency, agency.parent_id)
        assert to_agency is not None
        notified = escalate(session, case, to_agency.id, target) if escalate is not None else 0
        self._append(
            session,
            case,
            EventKind.escalated,
            case.state,
            case.state,
            None,
            now,
            reason="ZRU-445 Art. 28: the answer deadline has passed",
            data={"level": level, "to_agency": to_agency.code, "notified": notified},
        )
        case.escalation_level = level
        report.escalated += 1

    # ------------------------------------------------------------------ decision documents

    def issue_decision_documents(self, issuer: DecisionIssuer, *, limit: int = 50) -> int:
        """Render and seal the decision PDF of decided cases that have none yet; each is archived, attached
        to its case as the 'decision' document and recorded by a ``decision_issued`` event (hence a ledger
        leaf and a notice). Rendering runs outside the write transaction; returns how many were issued."""
        with self._db.reading() as session:
            has_document = (
                sa.select(CaseSignature.case_id)
                .where(
                    CaseSignature.agency_id == Case.agency_id,
                    CaseSignature.case_id == Case.id,
                    CaseSignature.purpose == "decision",
                )
                .exists()
            )
            pending = session.execute(
                sa.select(Case.agency_id, Case.id)
                .where(Case.outcome.is_not(None), Case.decided_at.is_not(None), ~has_document)
                .order_by(Case.decided_at)
                .limit(limit)
            ).all()
        issued = 0
        for agency_id, case_id in pending:
            with self._db.reading() as session:
                case = session.get(Case, (agency_id, case_id))
                assert case is not None
                decision = issuer.issue(session, self._decision_facts(session, case))
            with self._db.uow() as uow:
                session = uow.session
                case = session.get(Case, (agency_id, case_id), with_for_update=True)
                assert case is not None
                if session.scalar(
                    sa.select(CaseSignature.event_seq).where(
                        CaseSignature.agency_id == agency_id,
                        CaseSignature.case_id == case_id,
                        CaseSignature.purpose == "decision",
                    )
                ):
                    continue  # another worker issued it meanwhile
                self._attach_decision(
                    uow,
                    case,
                    decision,
                    self.clock(),
                    reason="the decision document, sealed by the body (PAdES, timestamped)",
                )
                uow.commit()
                issued += 1
        return issued

    def _attach_decision(
        self, uow: UnitOfWork, case: Case, decision: IssuedDecision, now: dt.datetime, *, reason: str
    ) -> None:
        """Archive the signed decision PDF, attach it as the case's 'decision' document with its signature, and
        record a ``decision_issued`` event naming its SHA-256 (hence a ledger leaf and a notice)."""
        session = uow.session
        blob = self._blobs.put(uow, decision.pdf, "application/pdf")
        event = self._append(
            session,
            case,
            EventKind.decision_issued,
            case.state,
            case.state,
            None,
            now,
            reason=reason,
            data={
                "sha256": blob.sha256,
                "signer": decision.signer,
                "certificate_serial": decision.certificate_serial,
            },
        )
        session.add(
            CaseDocument(
                agency_id=case.agency_id,
                case_id=case.id,
                sha256=blob.sha256,
                document_type="decision",
                filename=f"{case.registration_number}-qaror.pdf",
                media_type="application/pdf",
                size=len(decision.pdf),
                added_at=now,
                added_by_account_id=case.decided_by_account_id or case.applicant_account_id,
                event_seq=event.seq,
            )
        )
        session.add(
            CaseSignature(
                agency_id=case.agency_id,
                case_id=case.id,
                event_seq=event.seq,
                purpose="decision",
                format="pades",
                signer=decision.signer,
                certificate_serial=decision.certificate_serial,
                signing_time=decision.signing_time,
                timestamp=decision.timestamp,
                sha256=blob.sha256,
                token=None,
            )
        )

    @staticmethod
    def _decision_citations(session: Session, case: Case, outcome: Outcome) -> tuple[Citation, ...]:
        service = session.get(Service, case.service_id)
        assert service is not None
        citations = [Citation.model_validate(c) for c in service.legal_basis]
        # An automated decision names the norms of the rules that fired (automation/runner.py).
        decided = _decided_event_data(session, case)
        citations += [Citation.model_validate(c) for c in (decided or {}).get("citations", [])]
        if outcome is Outcome.left_unconsidered:
            citations.append(LEFT_UNCONSIDERED_CITATION)
        return tuple(citations)

    def _decision_facts(self, session: Session, case: Case) -> DecisionFacts:
        """What the document of a decided case states; an undecided case's facts are completed by the caller."""
        service = session.get(Service, case.service_id)
        agency = session.get(Agency, case.agency_id)
        officer = session.get(Account, case.decided_by_account_id) if case.decided_by_account_id else None
        assert service is not None and agency is not None
        return DecisionFacts(
            registration_number=case.registration_number,
            agency_code=agency.code,
            body=agency.name.get("uz", agency.code),
            service=service.name.get("uz", service.code),
            applicant=identity.get_person(session, case.applicant_person_id).full_name,
            received_at=case.received_at,
            decided_at=case.decided_at or case.received_at,
            outcome=case.outcome.value if case.outcome else "",
            reasons=case.outcome_reason or "",
            officer=officer.display_name if officer else _automated_by(_decided_event_data(session, case)),
            citations=self._decision_citations(session, case, case.outcome) if case.outcome else (),
        )


def _decided_event_data(session: Session, case: Case) -> dict[str, Any] | None:
    """The data of the case's latest ``decided`` event (None before a decision)."""
    data: dict[str, Any] | None = session.scalar(
        sa.select(CaseEvent.data)
        .where(CaseEvent.agency_id == case.agency_id, CaseEvent.case_id == case.id, CaseEvent.kind == EventKind.decided)
        .order_by(CaseEvent.seq.desc())
        .limit(1)
    )
    return data


def _automated_by(decided: dict[str, Any] | None) -> str:
    """Who answers for a decision no officer made: the rules, by version (automation/service.py)."""
    if not decided or decided.get("automated") is not True:
        return ""
    return f"avtomatik qaror, qoidalar versiyasi {str(decided.get('model_digest', ''))[:12]}"


def _form_errors(schema: dict[str, Any], form: dict[str, Any]) -> list[FieldError]:
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors = []
    for error in sorted(validator.iter_errors(form), key=lambda e: list(map(str, e.absolute_path))):
        path = "/".join(["form", *(str(p) for p in error.absolute_path)])
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            errors.append(FieldError(f"{path}/{missing}" if missing else path, "this field is required"))
        elif error.validator == "additionalProperties":
            errors.append(FieldError(path, f"unexpected field(s): {error.message}"))
        else:
            errors.append(FieldError(path, error.message))
    return errors


def _utc_text(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).isoformat()


def _safe_filename(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return (name or "document")[:255]


def _document_public(document: CaseDocument) -> DocumentPublic:
    return DocumentPublic(
        sha256=document.sha256,
        document_type=document.document_type,
        filename=document.filename,
        media_type=document.media_type,
        size=document.size,
        added_at=document.added_at,
    )


def _actor_label(name: str | None, role: Role | None, viewer: Actor) -> str | None:
    if name is None or role is None:
        return None
    if role is Role.citizen:
        return "applicant" if viewer.role is Role.citizen else name
    return f"{name} ({role.value})"


# Core statements on the table, not the ORM entity: no session synchronisation to do for a counter nobody holds.
_COUNTERS = cast(sa.Table, RegistrationCounter.__table__)
_COUNTER_NEXT = (
    sa.update(_COUNTERS)
    .where(_COUNTERS.c.agency_id == sa.bindparam("counter_agency"), _COUNTERS.c.year == sa.bindparam("counter_year"))
    .values(last_value=_COUNTERS.c.last_value + 1)
    .returning(_COUNTERS.c.last_value)
)


@functools.cache
def _counter_create(dialect: str) -> sa.Executable:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement: sa.Executable = (
        insert(_COUNTERS)
        .values(agency_id=sa.bindparam("counter_agency"), year=sa.bindparam("counter_year"), last_value=0)
        .on_conflict_do_nothing(index_elements=["agency_id", "year"])
    )
    return statement


def _column_by_id(session: Session, key: Any, column: Any, ids: set[Any]) -> dict[Any, Any]:
    """``{id: column}`` for the given ids, one query, without loading whole rows."""
    if not ids:
        return {}
    return {id_: value for id_, value in session.execute(sa.select(key, column).where(key.in_(ids)))}
