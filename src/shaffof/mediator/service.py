"""The information mediator: every registry query passes here — the policy is checked (deny by default),
consent honoured, the exchange logged with its digests, and the person's access record and ledger leaf
written in the same transaction as the log entry.

Four doors, one path (:meth:`Mediator._exchange`):
- ``query`` — an agency system's signed request (``POST /api/v1/mediator/{registry}/{service}``);
- ``lookup`` — an officer in the workspace (authenticated by the platform; outside the officer's cases a
  stated reason is required, recorded and shown to the person);
- ``prefill`` — a citizen's own data into a service form (once-only, decree UP-113).
- ``automated`` — a service process of the deciding body, about its case's applicant (automation's service
  tasks; channel ``automated``).

A refused exchange is committed too (log entry + refused access record) before the refusal is raised:
the person and the auditor see attempts, not only successes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shaffof.canonical_json import canonicalize
from shaffof.catalog import service as catalog
from shaffof.db.base import utcnow
from shaffof.db.engine import Database
from shaffof.errors import DomainError, FieldError, InvalidInput
from shaffof.identity import pinfl as pinfl_codes
from shaffof.identity import service as identity
from shaffof.identity.actor import Actor
from shaffof.identity.models import Role
from shaffof.ledger import merkle
from shaffof.ledger.records import instant
from shaffof.legal import Citation
from shaffof.mediator import signing
from shaffof.mediator.errors import (
    AdministratorsOrAuditorsOnly,
    CategoriesNotAllowed,
    ConsentMissing,
    MediatorRefused,
    MessageNotFound,
    NoAccessPolicy,
    NotAConsumer,
    NothingToSeal,
    PurposeMissing,
    ReasonRequired,
    RequestForged,
    RequestReplayed,
)
from shaffof.mediator.models import (
    AccessPolicy,
    LoggingLevel,
    MediatorMember,
    MessageBatch,
    MessageLogEntry,
    MessageOutcome,
)
from shaffof.mediator.schemas import (
    AutomatedQuery,
    BatchPublic,
    MediatorRequest,
    MediatorResponse,
    MessagePublic,
    MessageVerification,
    OfficerLookup,
    Prefill,
    PrefillField,
)
from shaffof.pki.tsa import TimestampInvalid
from shaffof.privacy import grounds, receipts
from shaffof.privacy.models import AccessChannel, AccessOutcome, AccessRecord, Consent, LegalGround
from shaffof.privacy.service import Access, active_consent, record_access, record_audit, record_destruction
from shaffof.registries.catalog import REGISTRIES, RegistryService
from shaffof.registries.errors import SubjectNotInRegistry
from shaffof.registries.prefill import PREFILL
from shaffof.registries.service import Registries, registry_service

if TYPE_CHECKING:
    from shaffof.cases.service import Cases
    from shaffof.pki.service import Pki

MAX_BATCH = 10_000
# The person's own data, read for the person: the body's once-only duty and the subject's right of access.
OWN_DATA_CHANNELS = frozenset({AccessChannel.prefill, AccessChannel.export})


@dataclass(frozen=True)
class Exchange:
    """One query as the mediator sees it, whichever door it came through."""

    channel: AccessChannel
    service: RegistryService
    subject: str
    categories: frozenset[str]
    purpose: str | None
    case: str | None
    request_id: str
    request_sha256: bytes
    request: Mapping[str, Any]
    actor: Actor | None
    agency_id: int | None
    key_id: str | None = None
    reason: str | None = None
    outside_case: bool = field(default=False)


def entry_record(row: MessageLogEntry) -> dict[str, Any]:
    """What a sealed batch commits to for one entry (its digest is the batch's leaf)."""
    return {
        "type": "mediator_message",
        "v": 1,
        "id": row.id,
        "at": instant(row.at),
        "consumer_agency_id": row.consumer_agency_id,
        "consumer_account_id": row.consumer_account_id,
        "key_id": row.key_id,
        "request_id": row.request_id,
        "registry": row.registry_code,
        "service": row.service,
        "purpose": row.purpose,
        "case": row.case_number,
        "outcome": row.outcome.value,
        "refusal": row.refusal,
        "logging": row.logging.value,
        "request_sha256": row.request_digest.hex(),
        "response_sha256": row.response_digest.hex() if row.response_digest else None,
    }


def entry_leaf(row: MessageLogEntry) -> bytes:
    return merkle.leaf_hash(canonicalize(entry_record(row)))


class _Levels:
    """A batch's tree in memory, as the NodeSource that RFC 9162 proof generation reads."""

    def __init__(self, leaves: list[bytes]) -> None:
        self._levels = merkle.perfect_levels(leaves)

    def hashes(self, keys: Collection[merkle.NodeKey]) -> Mapping[merkle.NodeKey, bytes]:
        return {
            (level, index): self._levels[level][index]
            for level, index in keys
            if level < len(self._levels) and index < len(self._levels[level])
        }


class Mediator:
    """The information mediator (built once by the composition root)."""

    def __init__(
        self,
        db: Database,
        registries: Registries,
        pki: Pki,
        cases: Cases,
        *,
        clock_skew: dt.timedelta,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self._registries = registries
        self._pki = pki
        self._cases = cases
        self._skew = clock_skew
        self.clock = clock

    # ------------------------------------------------------------------ the doors

    def query(
        self, actor: Actor, registry: str, service: str, body: bytes, *, key_id: str | None, signature: str | None
    ) -> MediatorResponse:
        """An agency system's signed query."""
        if not actor.is_agency_staff or actor.agency_id is None:
            raise NotAConsumer("Only an agency's system account can query registries through the mediator.")
        spec = registry_service(registry, service)
        try:
            request = MediatorRequest.model_validate_json(body)
        except ValidationError as error:
            raise InvalidInput(
                "The query is not a valid mediator request.",
                errors=[FieldError("/".join(str(p) for p in e["loc"]) or "body", e["msg"]) for e in error.errors()],
            ) from None
        exchange = Exchange(
            channel=AccessChannel.mediator,
            service=spec,
            subject=request.subject,
            categories=frozenset(request.categories),
            purpose=request.purpose,
            case=request.case,
            request_id=request.request_id,
            request_sha256=hashlib.sha256(signing.signed_bytes(registry, service, body)).digest(),
            request=request.model_dump(mode="json"),
            actor=actor,
            agency_id=actor.agency_id,
            key_id=key_id,
        )

        def authentic(session: Session) -> None:
            member = session.get(MediatorMember, key_id) if key_id else None
            if (
                member is None
                or member.agency_id != actor.agency_id
                or member.revoked_at is not None
                or not signature
                or not signing.verify(member.public_key, signature, registry, service, body)
            ):
                raise RequestForged(
                    "The request is not signed by a current key of your agency (X-Mediator-Key-Id, "
                    "X-Mediator-Signature over the request line and body)."
                )
            now = self.clock()
            if abs(now - request.issued_at) > self._skew:
                raise RequestReplayed(
                    f"issued_at is more than {int(self._skew.total_seconds())} s from the mediator's clock; "
                    "sign a fresh request.",
                    errors=[FieldError("issued_at", "outside the allowed clock skew")],
                )

        return self._exchange(exchange, first_check=authentic)

    def lookup(self, actor: Actor, registry: str, service: str, command: OfficerLookup) -> MediatorResponse:
        """An officer reads a person's registry data for a case — or, with a stated reason, outside one."""
        if not actor.is_agency_staff or actor.agency_id is None:
            raise NotAConsumer("Only officers of an agency can look up registry data.")
        spec = registry_service(registry, service)
        request = command.model_dump(mode="json")
        exchange = Exchange(
            channel=AccessChannel.officer,
            service=spec,
            subject=command.subject,
            categories=frozenset(command.categories),
            purpose=command.purpose,
            case=command.case,
            request_id=f"officer:{actor.account_id}:{self.clock().timestamp():.6f}",
            request_sha256=hashlib.sha256(canonicalize(request)).digest(),
            request=request,
            actor=actor,
            agency_id=actor.agency_id,
            reason=command.reason,
        )
        return self._exchange(exchange)

    def automated(self, agency_id: int, registry: str, service: str, command: AutomatedQuery) -> MediatorResponse:
        """A service process of the deciding body asks for the applicant's data (automation's service tasks):
        the platform is the consumer on the body's behalf, for the case and the service's purpose, so the
        body's access policy decides and the person's tracker shows an ``automated`` read."""
        spec = registry_service(registry, service)
        request = command.model_dump(mode="json")
        exchange = Exchange(
            channel=AccessChannel.automated,
            service=spec,
            subject=command.subject,
            categories=frozenset(command.categories),
            purpose=command.purpose,
            case=command.case,
            request_id=f"automated:{command.case}:{self.clock().timestamp():.6f}:{registry}.{service}",
            request_sha256=hashlib.sha256(canonicalize(request)).digest(),
            request=request,
            actor=None,
            agency_id=agency_id,
        )
        return self._exchange(exchange)

    def prefill(self, actor: Actor, service_code: str) -> Prefill:
        """The service's form fields the registries can answer for the signed-in citizen (the once-only
        principle: the state does not ask for what it holds). Goes through the mediator like any query."""
        if actor.role is not Role.citizen or actor.person_id is None:
            raise NotAConsumer("Only a citizen's own account gets a pre-filled form.")
        with self._db.reading() as session:
            service = catalog.get_service(session, service_code)
            properties = service.form_schema.get("properties", {})
            subject = identity.get_person(session, actor.person_id).pinfl
        rules = [rule for rule in PREFILL.get(service_code, ()) if rule.field in properties]
        fields: dict[str, PrefillField] = {}
        for (registry, service_name), group in _by_source(rules).items():
            spec = registry_service(registry, service_name)
            request = {"service": service_code, "registry": registry, "registry_service": service_name}
            exchange = Exchange(
                channel=AccessChannel.prefill,
                service=spec,
                subject=subject,
                categories=spec.categories,
                purpose=f"pre-fill of {service_code}",
                case=None,
                request_id=f"prefill:{actor.account_id}:{self.clock().timestamp():.6f}:{registry}.{service_name}",
                request_sha256=hashlib.sha256(canonicalize(request)).digest(),
                request=request,
                actor=actor,
                agency_id=service.agency_id,
            )
            try:
                data = self._exchange(exchange).data
            except DomainError:
                continue  # a registry that cannot answer leaves its fields for the citizen to fill in
            for rule in group:
                value = rule.extract(data)
                if value is not None:
                    fields[rule.field] = PrefillField(value=value, source=f"{registry}/{service_name}")
        return Prefill(service=service_code, form={k: v.value for k, v in fields.items()}, fields=fields)

    def own_data(self, actor: Actor) -> dict[str, dict[str, Any]]:
        """Everything every registry holds about the signed-in person, through the mediator (channel
        ``export``: logged and recorded like any other read)."""
        if actor.role is not Role.citizen or actor.person_id is None:
            raise NotAConsumer("Only a citizen's own account can export its data.")
        with self._db.reading() as session:
            subject = identity.get_person(session, actor.person_id).pinfl
        result: dict[str, dict[str, Any]] = {}
        for registry in REGISTRIES.values():
            for spec in registry.services.values():
                request = {"export": True, "registry": spec.registry, "registry_service": spec.code}
                exchange = Exchange(
                    channel=AccessChannel.export,
                    service=spec,
                    subject=subject,
                    categories=spec.categories,
                    purpose="export of the person's own data",
                    case=None,
                    request_id=f"export:{actor.account_id}:{self.clock().timestamp():.6f}:{spec.registry}.{spec.code}",
                    request_sha256=hashlib.sha256(canonicalize(request)).digest(),
                    request=request,
                    actor=actor,
                    agency_id=None,
                )
                try:
                    data = self._exchange(exchange).data
                except SubjectNotInRegistry:
                    data = {}
                result.setdefault(spec.registry, {}).update(data)
        return result

    # ------------------------------------------------------------------ the one path

    def _exchange(
        self, exchange: Exchange, *, first_check: Callable[[Session], None] | None = None
    ) -> MediatorResponse:
        try:
            with self._db.reading() as session:
                if first_check is not None:
                    first_check(session)
                policy, exchange = self._authorise(session, exchange)
        except (MediatorRefused, RequestForged, PurposeMissing, InvalidInput) as refusal:
            self._refuse(exchange, refusal)
            raise
        now = self.clock()
        try:
            with self._db.uow() as uow:
                session = uow.session
                # Read again in the serving transaction: a withdrawal committed meanwhile is honoured.
                if policy.legal_ground is LegalGround.consent and not _consented(session, exchange, policy, now):
                    raise ConsentMissing("The person withdrew the consent this query relied on.")
                data = self._registries.read(session, exchange.service, exchange.subject, exchange.categories)
                response_sha256 = hashlib.sha256(canonicalize(data)).digest()
                entry = self._entry(exchange, MessageOutcome.served, policy.logging, now, response_sha256)
                if policy.logging is LoggingLevel.full:
                    entry.content_encrypted = self._registries.cipher.encrypt(
                        json.dumps({"request": exchange.request, "response": data}, ensure_ascii=False),
                        f"mediator_messages.content:{exchange.request_sha256.hex()}",
                    )
                session.add(entry)
                session.flush()
                record_access(
                    session,
                    Access(
                        subject_pinfl=exchange.subject,
                        channel=exchange.channel,
                        categories=exchange.categories,
                        purpose=exchange.purpose or "",
                        legal_ground=policy.legal_ground,
                        citation=Citation.model_validate(policy.citation),
                        actor=exchange.actor,
                        agency_id=exchange.agency_id,
                        case_number=exchange.case,
                        outside_case=exchange.outside_case,
                        stated_reason=exchange.reason,
                        message_id=entry.id,
                    ),
                    at=now,
                )
                uow.commit()
        except ConsentMissing as refusal:
            self._refuse(exchange, refusal)
            raise
        except IntegrityError:
            replayed = RequestReplayed(f"The request {exchange.request_id} was already served.")
            self._refuse(exchange, replayed)
            raise replayed from None
        return MediatorResponse(
            message_id=entry.id,
            registry=exchange.service.registry,
            service=exchange.service.code,
            subject=exchange.subject,
            categories=sorted(data),
            legal_ground=policy.legal_ground,
            data=data,
            request_sha256=exchange.request_sha256.hex(),
            response_sha256=response_sha256.hex(),
        )

    def _authorise(self, session: Session, exchange: Exchange) -> tuple[_Policy, Exchange]:
        """Deny by default: purpose, subject, replay, policy, categories, consent and case, in that order."""
        if not exchange.purpose or not exchange.purpose.strip():
            raise PurposeMissing(
                "State the purpose of the query; it is matched against the access policies and shown to the person.",
                errors=[FieldError("purpose", "required")],
            )
        try:
            pinfl_codes.parse(exchange.subject)
        except pinfl_codes.InvalidPinfl as error:
            raise InvalidInput(
                f"The subject is not a valid PINFL: {error}.", errors=[FieldError("subject", str(error))]
            ) from None
        if exchange.channel is AccessChannel.mediator:
            served = session.scalar(
                sa.select(MessageLogEntry.id).where(
                    MessageLogEntry.consumer_agency_id == exchange.agency_id,
                    MessageLogEntry.request_id == exchange.request_id,
                )
            )
            if served is not None:
                raise RequestReplayed(
                    f"The request {exchange.request_id} was already received; every request needs a new request_id.",
                    errors=[FieldError("request_id", "already used")],
                )
        unknown = sorted(exchange.categories - exchange.service.categories)
        if unknown:
            raise CategoriesNotAllowed(
                f"The {exchange.service.registry}/{exchange.service.code} service does not give {', '.join(unknown)}.",
                errors=[FieldError("categories", f"allowed here: {', '.join(sorted(exchange.service.categories))}")],
            )
        if exchange.channel in OWN_DATA_CHANNELS:
            return _Policy.own_data(exchange), exchange
        row = session.scalar(
            sa.select(AccessPolicy).where(
                AccessPolicy.consumer_agency_id == exchange.agency_id,
                AccessPolicy.registry_code == exchange.service.registry,
                AccessPolicy.service == exchange.service.code,
                AccessPolicy.purpose == exchange.purpose,
                AccessPolicy.active.is_(True),
            )
        )
        if row is None:
            raise NoAccessPolicy(
                f"No access policy lets your agency use {exchange.service.registry}/{exchange.service.code} "
                f"for the purpose {exchange.purpose!r}.",
                errors=[FieldError("purpose", "no policy for this purpose")],
            )
        beyond = sorted(exchange.categories - set(row.categories))
        if beyond:
            raise CategoriesNotAllowed(
                f"Your agency's policy for {exchange.purpose!r} does not cover {', '.join(beyond)}.",
                errors=[FieldError("categories", f"the policy allows {', '.join(sorted(row.categories))}")],
            )
        now = self.clock()
        if (
            row.legal_ground is LegalGround.consent
            and active_consent(session, exchange.subject, row.consumer_agency_id, row.purpose, exchange.categories, now)
            is None
        ):
            raise ConsentMissing(
                "This purpose rests on the person's consent (ZRU-547 Art. 18), and there is no consent in force."
            )
        outside = True
        if exchange.case is not None:
            found = self._cases.applicant_of(exchange.case)
            if found is None or found[0] != exchange.agency_id:
                raise MediatorRefused(
                    f"{exchange.case} is not a case of your agency.",
                    errors=[FieldError("case", "not your agency's case")],
                )
            outside = identity.get_person(session, found[1]).pinfl != exchange.subject
        if outside and exchange.channel is AccessChannel.officer and not (exchange.reason or "").strip():
            raise ReasonRequired(
                "The person is not the applicant of a case of yours: state the reason (it is shown to the person).",
                errors=[FieldError("reason", "required outside your cases")],
            )
        if outside and exchange.channel is AccessChannel.automated:
            raise MediatorRefused(
                "A service process asks only about the applicant of its own case.",
                errors=[FieldError("subject", "not the applicant of the case")],
            )
        return _Policy.of(row), replace(exchange, outside_case=outside)

    def _entry(
        self,
        exchange: Exchange,
        outcome: MessageOutcome,
        logging: LoggingLevel,
        at: dt.datetime,
        response_sha256: bytes | None = None,
        refusal: str | None = None,
    ) -> MessageLogEntry:
        return MessageLogEntry(
            at=at,
            consumer_agency_id=exchange.agency_id,
            consumer_account_id=exchange.actor.account_id if exchange.actor else None,
            key_id=exchange.key_id,
            request_id=exchange.request_id[:64],
            registry_code=exchange.service.registry,
            service=exchange.service.code,
            purpose=exchange.purpose,
            case_number=exchange.case,
            outcome=outcome,
            refusal=refusal[:300] if refusal else None,
            logging=logging,
            request_digest=exchange.request_sha256,
            response_digest=response_sha256,
        )

    def _refuse(self, exchange: Exchange, refusal: DomainError) -> None:
        """Log a refused exchange and, if the subject is a person, their refused-access record."""
        now = self.clock()
        with self._db.uow() as uow:
            entry = self._entry(exchange, MessageOutcome.refused, LoggingLevel.metadata, now, refusal=refusal.detail)
            uow.session.add(entry)
            uow.session.flush()
            try:
                pinfl_codes.parse(exchange.subject)
            except pinfl_codes.InvalidPinfl:
                uow.commit()
                return
            record_access(
                uow.session,
                Access(
                    subject_pinfl=exchange.subject,
                    channel=exchange.channel,
                    categories=exchange.categories,
                    purpose=exchange.purpose or "(none stated)",
                    legal_ground=LegalGround.legal_obligation,
                    citation=grounds.ART_18,
                    actor=exchange.actor,
                    agency_id=exchange.agency_id,
                    case_number=exchange.case,
                    stated_reason=exchange.reason,
                    outcome=AccessOutcome.refused,
                    refusal=f"{refusal.title}: {refusal.detail}",
                    message_id=entry.id,
                ),
                at=now,
            )
            uow.commit()

    def destroy_consented_content(self, session: Session, consent: Consent, actor: Actor, at: dt.datetime) -> None:
        """A withdrawn consent: the content the message log kept of exchanges served under it is destroyed
        (ZRU-547 Art. 17); digests and metadata stay, so the sealed batches still verify; a tombstone each."""
        rows = session.scalars(
            sa.select(MessageLogEntry)
            .join(AccessRecord, AccessRecord.message_id == MessageLogEntry.id)
            .where(
                AccessRecord.subject_pinfl == consent.subject_pinfl,
                AccessRecord.legal_ground == LegalGround.consent,
                MessageLogEntry.consumer_agency_id == consent.recipient_agency_id,
                MessageLogEntry.purpose == consent.purpose,
                MessageLogEntry.content_encrypted.is_not(None),
            )
        ).all()
        for row in rows:
            assert row.content_encrypted is not None
            record_destruction(
                session,
                subject_pinfl=consent.subject_pinfl,
                what=f"mediator_messages.content_encrypted id={row.id}",
                categories=consent.categories,
                content=row.content_encrypted.encode(),
                reason=f"consent {consent.id} withdrawn",
                authority=actor,
                at=at,
            )
            row.content_encrypted = None

    # ------------------------------------------------------------------ the message log

    def seal(self, *, limit: int = MAX_BATCH) -> BatchPublic:
        """Seal the unsealed entries into one batch: RFC 9162 root over their digests, timestamped and
        signed by the platform TSA (X-Road timestamps its message log in batches the same way)."""
        with self._db.uow() as uow:
            session = uow.session
            rows = list(
                session.scalars(
                    sa.select(MessageLogEntry)
                    .where(MessageLogEntry.batch_id.is_(None))
                    .order_by(MessageLogEntry.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            if not rows:
                raise NothingToSeal("Every message-log entry is already in a sealed batch.")
            root = merkle.root_hash([entry_leaf(row) for row in rows])
            token = receipts.stamp(self._pki, root)
            batch = MessageBatch(size=len(rows), root_hash=root, timestamp_token=token, sealed_at=self.clock())
            session.add(batch)
            session.flush()
            for row in rows:
                row.batch_id = batch.id
            uow.commit()
        return _batch_public(batch)

    def messages(self, actor: Actor, *, limit: int = 100, before: int | None = None) -> list[MessagePublic]:
        """The message log for auditors, newest first; content (level 'full') decrypted."""
        _ensure_auditor(actor)
        statement = sa.select(MessageLogEntry).order_by(MessageLogEntry.id.desc()).limit(min(limit, 500))
        if before is not None:
            statement = statement.where(MessageLogEntry.id < before)
        with self._db.reading() as session:
            rows = session.scalars(statement).all()
            codes = catalog.agency_codes(session)
        publics = [self._public(row, codes) for row in rows]
        subjects = {
            str(p.content["request"]["subject"]) for p in publics if p.content and "subject" in p.content["request"]
        }
        if subjects:  # logged content is personal data: reading it is an access like any other
            with self._db.uow() as uow:
                record_audit(
                    uow.session,
                    actor,
                    subjects,
                    "mediator_content",
                    "audit of the mediator's message log",
                    self.clock(),
                )
                uow.commit()
        return publics

    def verify_message(self, actor: Actor, message_id: int) -> MessageVerification:
        """Recompute the entry's digest and its batch's root from the stored rows, check the TSA token."""
        _ensure_auditor(actor)
        with self._db.reading() as session:
            row = session.get(MessageLogEntry, message_id)
            if row is None:
                raise MessageNotFound(f"There is no message-log entry {message_id}.")
            leaf = entry_leaf(row)
            batch = session.get(MessageBatch, row.batch_id) if row.batch_id is not None else None
            if batch is None:
                return MessageVerification(
                    message_id=message_id,
                    entry_sha256=leaf.hex(),
                    batch_id=None,
                    leaf_index=None,
                    batch_size=None,
                    audit_path=None,
                    root_hash=None,
                    timestamp_token=None,
                    timestamped_at=None,
                    verified=False,
                    problem="not sealed yet: the next batch (shaffof mediator seal) will cover it",
                )
            members = list(
                session.scalars(
                    sa.select(MessageLogEntry).where(MessageLogEntry.batch_id == batch.id).order_by(MessageLogEntry.id)
                )
            )
        leaves = [entry_leaf(member) for member in members]
        index = [member.id for member in members].index(message_id)
        path = merkle.inclusion_path(index, len(leaves), _Levels(leaves))
        problem = None
        time = None
        if len(leaves) != batch.size:
            problem = f"the batch sealed {batch.size} entries but {len(leaves)} are stored under it"
        elif not merkle.verify_inclusion(leaf, index, batch.size, path, batch.root_hash):
            problem = "the stored entries no longer hash to the sealed root (an entry was altered)"
        else:
            try:
                time = receipts.verify(self._pki, batch.timestamp_token, batch.root_hash).time
            except TimestampInvalid as error:
                problem = f"the batch's timestamp token does not verify: {error}"
        return MessageVerification(
            message_id=message_id,
            entry_sha256=leaf.hex(),
            batch_id=batch.id,
            leaf_index=index,
            batch_size=batch.size,
            audit_path=[p.hex() for p in path],
            root_hash=batch.root_hash.hex(),
            timestamp_token=_b64(batch.timestamp_token),
            timestamped_at=time,
            verified=problem is None,
            problem=problem,
        )

    def _public(self, row: MessageLogEntry, codes: Mapping[int, str]) -> MessagePublic:
        content = None
        if row.content_encrypted is not None:
            content = json.loads(
                self._registries.cipher.decrypt(
                    row.content_encrypted, f"mediator_messages.content:{row.request_digest.hex()}"
                )
            )
        return MessagePublic(
            id=row.id,
            at=row.at,
            consumer=codes.get(row.consumer_agency_id) if row.consumer_agency_id is not None else None,
            registry=row.registry_code,
            service=row.service,
            purpose=row.purpose,
            case=row.case_number,
            outcome=row.outcome,
            refusal=row.refusal,
            logging=row.logging,
            request_sha256=row.request_digest.hex(),
            response_sha256=row.response_digest.hex() if row.response_digest else None,
            content=content,
            batch_id=row.batch_id,
        )


@dataclass(frozen=True)
class _Policy:
    consumer_agency_id: int
    purpose: str
    legal_ground: LegalGround
    citation: dict[str, Any]
    logging: LoggingLevel

    @classmethod
    def of(cls, row: AccessPolicy) -> _Policy:
        return cls(row.consumer_agency_id, row.purpose, row.legal_ground, row.citation, row.logging)

    @classmethod
    def own_data(cls, exchange: Exchange) -> _Policy:
        """A citizen's own data into their own form: the once-only duty of the body (no policy needed)."""
        return cls(
            exchange.agency_id or 0,
            exchange.purpose or "",
            LegalGround.legal_obligation,
            grounds.ONCE_ONLY.model_dump(mode="json", exclude_none=True),
            LoggingLevel.metadata,
        )


def _consented(session: Session, exchange: Exchange, policy: _Policy, now: dt.datetime) -> bool:
    found = active_consent(
        session, exchange.subject, policy.consumer_agency_id, policy.purpose, exchange.categories, now
    )
    return found is not None


def _by_source(rules: list[Any]) -> dict[tuple[str, str], list[Any]]:
    grouped: dict[tuple[str, str], list[Any]] = {}
    for rule in rules:
        grouped.setdefault((rule.registry, rule.service), []).append(rule)
    return grouped


def _ensure_auditor(actor: Actor) -> None:
    if actor.role not in (Role.auditor, Role.admin):
        raise AdministratorsOrAuditorsOnly("Only auditors and administrators read the mediator's message log.")


def _b64(value: bytes) -> str:
    import base64

    return base64.b64encode(value).decode()


def _batch_public(batch: MessageBatch) -> BatchPublic:
    return BatchPublic(
        id=batch.id,
        size=batch.size,
        root_hash=batch.root_hash.hex(),
        sealed_at=batch.sealed_at,
        timestamp_token=_b64(batch.timestamp_token),
    )
