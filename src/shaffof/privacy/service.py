"""Privacy operations: record every read of a person's data (with its ledger leaf, in the reading
transaction), show the person who read it and why, let auditors search and verify the records, and keep
consents.

``record_access`` is what every other domain calls; it never commits — the caller's unit of work does,
so the record, its leaf and the access stand or fall together.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.catalog import service as catalog
from shaffof.catalog.errors import AgencyNotFound
from shaffof.db.base import utcnow
from shaffof.db.engine import Database
from shaffof.errors import FieldError
from shaffof.identity import service as identity
from shaffof.identity.actor import Actor
from shaffof.identity.models import Role
from shaffof.ledger import merkle
from shaffof.ledger.models import LeafKind, LedgerEntry
from shaffof.ledger.records import canonical_bytes, instant
from shaffof.ledger.service import NewLeaf, append_leaves
from shaffof.legal import Citation
from shaffof.notify import service as notify
from shaffof.privacy import grounds, receipts
from shaffof.privacy.errors import (
    AccessRecordNotFound,
    AuditorsOnly,
    ConsentInvalid,
    ConsentNotFound,
    NotTheDataSubject,
)
from shaffof.privacy.models import AccessChannel, AccessOutcome, AccessRecord, Consent, LegalGround, Tombstone
from shaffof.privacy.schemas import (
    AccessRecordPublic,
    AccessRecordVerification,
    ConsentGive,
    ConsentPublic,
    TombstonePublic,
)

if TYPE_CHECKING:
    from shaffof.cases.models import Case
    from shaffof.pki.service import Pki

RECORD_VERSION = 1
MAX_PAGE = 500


@dataclass(frozen=True)
class Access:
    """What one read of a person's data was: recorded as it happens."""

    subject_pinfl: str
    channel: AccessChannel
    categories: Iterable[str]
    purpose: str
    legal_ground: LegalGround
    citation: Citation
    actor: Actor | None = None
    agency_id: int | None = None
    case_number: str | None = None
    outside_case: bool = False
    stated_reason: str | None = None
    outcome: AccessOutcome = AccessOutcome.allowed
    refusal: str | None = None
    message_id: int | None = None


def access_record(row: AccessRecord) -> dict[str, Any]:
    """The ledger's record of an access: one mapping for the writer and the verifier."""
    return {
        "type": "access_record",
        "v": RECORD_VERSION,
        "id": str(row.id),
        "at": instant(row.at),
        "subject": row.subject_pinfl,
        "actor_account_id": row.actor_account_id,
        "agency_id": row.agency_id,
        "channel": row.channel.value,
        "categories": sorted(row.categories),
        "purpose": row.purpose,
        "legal_ground": row.legal_ground.value,
        "case": row.case_number,
        "outside_case": row.outside_case,
        "stated_reason": row.stated_reason,
        "outcome": row.outcome.value,
        "refusal": row.refusal,
        "message_id": row.message_id,
    }


def record_access(session: Session, access: Access, *, at: dt.datetime | None = None) -> AccessRecord:
    """Write the access record and its ledger leaf in the caller's transaction (never commits)."""
    row = AccessRecord(
        id=uuid.uuid4(),
        at=at or utcnow(),
        subject_pinfl=access.subject_pinfl,
        actor_account_id=access.actor.account_id if access.actor else None,
        agency_id=access.agency_id
        if access.agency_id is not None
        else (access.actor.agency_id if access.actor else None),
        channel=access.channel,
        categories=sorted(set(access.categories)),
        purpose=access.purpose[:200],
        legal_ground=access.legal_ground,
        citation=access.citation.model_dump(mode="json", exclude_none=True),
        case_number=access.case_number,
        outside_case=access.outside_case,
        stated_reason=access.stated_reason,
        outcome=access.outcome,
        refusal=access.refusal[:300] if access.refusal else None,
        message_id=access.message_id,
        leaf_hash=b"",
    )
    row.leaf_hash = merkle.leaf_hash(canonical_bytes(access_record(row)))
    session.add(row)
    session.flush()
    append_leaves(
        session,
        [NewLeaf(leaf_hash=row.leaf_hash, kind=LeafKind.access_record, subject=str(row.id), agency_id=row.agency_id)],
        created_at=row.at,
    )
    if row.outside_case and row.outcome is AccessOutcome.allowed and row.agency_id is not None:
        _tell_the_person(session, row)
    return row


def _tell_the_person(session: Session, row: AccessRecord) -> None:
    """An agency read the person's data outside any case of theirs: the person hears of it (in-app and on
    the channels they chose), in the same transaction as the record."""
    agency = catalog.get_agency(session, row.agency_id) if row.agency_id is not None else None
    for account_id in identity.citizen_accounts_of(session, row.subject_pinfl):
        notify.enqueue(
            session,
            account_id,
            "privacy.accessed",
            {
                "agency": agency.name if agency is not None else None,
                "categories": ", ".join(row.categories),
                "purpose": row.purpose,
                "reason": row.stated_reason,
            },
            link="/my-data",
            at=row.at,
        )


def record_destruction(
    session: Session,
    *,
    subject_pinfl: str,
    what: str,
    categories: Iterable[str],
    content: bytes,
    reason: str,
    authority: Actor | None,
    at: dt.datetime,
) -> Tombstone:
    """Leave the tombstone of destroyed content and its ledger leaf, in the destroying transaction."""
    row = Tombstone(
        id=uuid.uuid4(),
        at=at,
        subject_pinfl=subject_pinfl,
        what=what[:200],
        categories=sorted(set(categories)),
        content_sha256=hashlib.sha256(content).digest(),
        reason=reason[:300],
        citation=grounds.ART_17.model_dump(mode="json", exclude_none=True),
        authority_account_id=authority.account_id if authority else None,
        leaf_hash=b"",
    )
    record = {
        "type": "personal_data_tombstone",
        "v": RECORD_VERSION,
        "id": str(row.id),
        "at": instant(at),
        "subject": subject_pinfl,
        "what": row.what,
        "categories": row.categories,
        "content_sha256": row.content_sha256.hex(),
        "reason": row.reason,
        "authority_account_id": row.authority_account_id,
    }
    row.leaf_hash = merkle.leaf_hash(canonical_bytes(record))
    session.add(row)
    append_leaves(session, [NewLeaf(row.leaf_hash, LeafKind.personal_data_tombstone, str(row.id))], created_at=at)
    return row


WithdrawalHandler = Callable[[Session, Consent, Actor, dt.datetime], None]


def record_audit(
    session: Session, actor: Actor, subjects: Iterable[str], category: str, purpose: str, at: dt.datetime
) -> None:
    """An auditor read these persons' data (records, logged content): one access record each."""
    for pinfl in sorted(set(subjects)):
        record_access(
            session,
            Access(
                subject_pinfl=pinfl,
                channel=AccessChannel.audit,
                categories=(category,),
                purpose=purpose,
                legal_ground=LegalGround.legal_obligation,
                citation=grounds.AUDIT,
                actor=actor,
            ),
            at=at,
        )


def consent_record(row: Consent, recipient_code: str) -> dict[str, Any]:
    return {
        "type": "consent",
        "v": RECORD_VERSION,
        "id": str(row.id),
        "subject": row.subject_pinfl,
        "recipient": recipient_code,
        "purpose": row.purpose,
        "categories": sorted(row.categories),
        "given_at": instant(row.given_at),
        "expires_at": instant(row.expires_at),
    }


def active_consent(
    session: Session, subject_pinfl: str, agency_id: int, purpose: str, categories: Iterable[str], now: dt.datetime
) -> Consent | None:
    """The consent that covers this use now, if any: same recipient and purpose, every category, in term,
    not withdrawn. Read in the querying transaction, so a withdrawal committed before it is honoured."""
    wanted = set(categories)
    rows = session.scalars(
        sa.select(Consent).where(
            Consent.subject_pinfl == subject_pinfl,
            Consent.recipient_agency_id == agency_id,
            Consent.purpose == purpose,
            Consent.withdrawn_at.is_(None),
            Consent.expires_at > now,
        )
    )
    return next((row for row in rows if wanted <= set(row.categories)), None)


class Privacy:
    """The privacy domain service (built once by the composition root)."""

    def __init__(self, db: Database, pki: Pki, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._db = db
        self._pki = pki
        self.clock = clock
        # Run in the withdrawal's transaction: whoever holds data obtained under the consent destroys it.
        self.withdrawal_handlers: list[WithdrawalHandler] = []

    # ------------------------------------------------------------------ case reads (the cases domain's hook)

    def on_case_read(self, session: Session, actor: Actor, case: Case, categories: tuple[str, ...]) -> None:
        """A case was read or worked on: record it unless the reader is the applicant themselves."""
        if case.applicant_account_id == actor.account_id:
            return
        person = identity.get_person(session, case.applicant_person_id)
        auditor = actor.role is Role.auditor
        record_access(
            session,
            Access(
                subject_pinfl=person.pinfl,
                channel=AccessChannel.audit if auditor else AccessChannel.officer,
                categories=categories,
                purpose=f"{'audit of' if auditor else 'consideration of'} case {case.registration_number}",
                legal_ground=LegalGround.legal_obligation,
                citation=grounds.AUDIT if auditor else grounds.CASE_CONSIDERATION,
                actor=actor,
                case_number=case.registration_number,
            ),
            at=self.clock(),
        )

    def on_certificates_read(self, actor: Actor, account_ids: set[int]) -> None:
        """Someone read other holders' certificates (name and PINFL in the subject): record each person."""
        with self._db.uow() as uow:
            for pinfl in identity.pinfls_of_accounts(uow.session, account_ids):
                record_access(
                    uow.session,
                    Access(
                        subject_pinfl=pinfl,
                        channel=AccessChannel.audit if actor.role is Role.auditor else AccessChannel.officer,
                        categories=("certificates",),
                        purpose="administration of signature certificates",
                        legal_ground=LegalGround.legal_obligation,
                        citation=grounds.CERTIFICATES,
                        actor=actor,
                    ),
                    at=self.clock(),
                )
            uow.commit()

    def own_pinfl(self, actor: Actor) -> str:
        with self._db.reading() as session:
            return _own_pinfl(session, actor)

    def on_case_export(self, case_number: str, applicant_person_id: int) -> None:
        """The console exported a case's evidence package (form, documents): the applicant sees it."""
        with self._db.uow() as uow:
            person = identity.get_person(uow.session, applicant_person_id)
            record_access(
                uow.session,
                Access(
                    subject_pinfl=person.pinfl,
                    channel=AccessChannel.export,
                    categories=("case_form", "case_documents", "case_events"),
                    purpose=f"evidence package of case {case_number}",
                    legal_ground=LegalGround.legal_obligation,
                    citation=grounds.AUDIT,
                    case_number=case_number,
                ),
                at=self.clock(),
            )
            uow.commit()

    # ------------------------------------------------------------------ the data tracker

    def my_access_log(
        self,
        actor: Actor,
        *,
        limit: int = 100,
        offset: int = 0,
        outside_case: bool | None = None,
        outcome: AccessOutcome | None = None,
        agency: str | None = None,
    ) -> list[AccessRecordPublic]:
        """Who read my data, when, why, for which case — newest first (optionally only reads outside my
        cases, only refusals, or only one agency's)."""
        with self._db.reading() as session:
            pinfl = _own_pinfl(session, actor)
            statement = sa.select(AccessRecord).where(AccessRecord.subject_pinfl == pinfl)
            if outside_case is not None:
                statement = statement.where(AccessRecord.outside_case.is_(outside_case))
            if outcome is not None:
                statement = statement.where(AccessRecord.outcome == outcome)
            if agency:
                codes = {code: agency_id for agency_id, code in catalog.agency_codes(session).items()}
                if agency not in codes:
                    raise AgencyNotFound(
                        f"There is no agency {agency}.", errors=[FieldError("agency", "unknown agency")]
                    )
                statement = statement.where(AccessRecord.agency_id == codes[agency])
            rows = session.scalars(
                statement.order_by(AccessRecord.at.desc(), AccessRecord.id).limit(min(limit, MAX_PAGE)).offset(offset)
            ).all()
            return _publics(session, rows)

    def search(
        self,
        actor: Actor,
        *,
        subject: str | None = None,
        agency: str | None = None,
        case: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AccessRecordPublic]:
        """The auditor's search. Reading a person's access records is itself an access, recorded."""
        if actor.role is not Role.auditor:
            raise AuditorsOnly("Only an auditor can search the access records of others.")
        with self._db.uow() as uow:
            session = uow.session
            statement = sa.select(AccessRecord)
            if subject:
                statement = statement.where(AccessRecord.subject_pinfl == subject)
            if agency:
                try:
                    agency_id = catalog.get_agency_by_code(session, agency).id
                except AgencyNotFound:
                    raise AgencyNotFound(
                        f"There is no agency {agency}.", errors=[FieldError("query/agency", "unknown agency")]
                    ) from None
                statement = statement.where(AccessRecord.agency_id == agency_id)
            if case:
                statement = statement.where(AccessRecord.case_number == case)
            rows = session.scalars(
                statement.order_by(AccessRecord.at.desc(), AccessRecord.id).limit(min(limit, MAX_PAGE)).offset(offset)
            ).all()
            result = _publics(session, rows)
            record_audit(
                session,
                actor,
                {row.subject_pinfl for row in rows},
                "access_log",
                "audit of access records",
                self.clock(),
            )
            uow.commit()
        return result

    def verify(self, actor: Actor, record_id: uuid.UUID) -> AccessRecordVerification:
        """Rebuild a record's leaf from its row and find it in the ledger."""
        if actor.role is not Role.auditor:
            raise AuditorsOnly("Only an auditor can verify access records.")
        with self._db.reading() as session:
            row = session.get(AccessRecord, record_id)
            if row is None:
                raise AccessRecordNotFound(f"There is no access record {record_id}.")
            rebuilt = merkle.leaf_hash(canonical_bytes(access_record(row)))
            index = session.execute(
                sa.select(LedgerEntry.id, LedgerEntry.leaf_index).where(
                    LedgerEntry.kind == LeafKind.access_record, LedgerEntry.leaf_hash == rebuilt
                )
            ).first()
        return AccessRecordVerification(
            record_id=record_id,
            leaf_hash=_b64(rebuilt),
            matches_record=rebuilt == row.leaf_hash,
            in_ledger=index is not None,
            leaf_index=index.leaf_index if index is not None else None,
        )

    # ------------------------------------------------------------------ consents

    def give_consent(self, actor: Actor, command: ConsentGive) -> ConsentPublic:
        """ZRU-547 Art. 18: consent for a purpose, a recipient, categories and a term, with a signed receipt."""
        from shaffof.registries.catalog import CATEGORIES

        unknown = sorted(set(command.categories) - CATEGORIES)
        if unknown:
            raise ConsentInvalid(
                f"Unknown data categories: {', '.join(unknown)}.",
                errors=[FieldError("categories", f"choose from {', '.join(sorted(CATEGORIES))}")],
            )
        now = self.clock()
        with self._db.reading() as session:
            pinfl = _own_pinfl(session, actor)
            try:
                recipient = catalog.get_agency_by_code(session, command.recipient)
            except AgencyNotFound:
                raise ConsentInvalid(
                    f"There is no agency {command.recipient}.", errors=[FieldError("recipient", "unknown agency")]
                ) from None
        row = Consent(
            id=uuid.uuid4(),
            subject_pinfl=pinfl,
            recipient_agency_id=recipient.id,
            purpose=command.purpose,
            categories=sorted(set(command.categories)),
            given_at=now,
            expires_at=now + dt.timedelta(days=command.days),
        )
        digest = receipts.digest_of(consent_record(row, recipient.code))
        row.receipt_digest = digest
        row.receipt_token = receipts.stamp(self._pki, digest)  # before the transaction: no lock held meanwhile
        with self._db.uow() as uow:
            uow.session.add(row)
            uow.session.flush()
            append_leaves(
                uow.session,
                [
                    NewLeaf(
                        merkle.leaf_hash(canonical_bytes(consent_record(row, recipient.code))),
                        LeafKind.consent,
                        str(row.id),
                        recipient.id,
                    )
                ],
                created_at=now,
            )
            uow.commit()
        return _consent_public(row, recipient.code, now)

    def withdraw_consent(self, actor: Actor, consent_id: uuid.UUID) -> ConsentPublic:
        """Withdrawal takes effect when this commits: the mediator's next query no longer finds it."""
        now = self.clock()
        with self._db.uow() as uow:
            session = uow.session
            pinfl = _own_pinfl(session, actor)
            row = session.get(Consent, consent_id, with_for_update=True)
            if row is None or row.subject_pinfl != pinfl:
                raise ConsentNotFound(f"You have no consent {consent_id}.")
            recipient = catalog.get_agency(session, row.recipient_agency_id)
            if row.withdrawn_at is None:
                row.withdrawn_at = now
                withdrawal = {
                    "type": "consent_withdrawal",
                    "v": RECORD_VERSION,
                    "consent": str(row.id),
                    "at": instant(now),
                }
                row.withdrawal_token = receipts.stamp(self._pki, receipts.digest_of(withdrawal))
                append_leaves(
                    session,
                    [
                        NewLeaf(
                            merkle.leaf_hash(canonical_bytes(withdrawal)), LeafKind.consent, str(row.id), recipient.id
                        )
                    ],
                    created_at=now,
                )
                for handler in self.withdrawal_handlers:  # ZRU-547 Art. 17: destroyed when consent is withdrawn
                    handler(session, row, actor, now)
            uow.commit()
        return _consent_public(row, recipient.code, now)

    def consent_receipt(self, actor: Actor, consent_id: uuid.UUID) -> dict[str, Any]:
        """The signed receipt of my consent, as a file I keep: the canonical consent the platform TSA stamped,
        its SHA-256 and the RFC 3161 tokens (of the consent, and of its withdrawal if withdrawn). OpenSSL
        checks a token: ``openssl ts -verify -token_in -digest <sha256> -in token.der -CAfile ca.pem -untrusted
        chain.pem``."""
        with self._db.reading() as session:
            pinfl = _own_pinfl(session, actor)
            row = session.get(Consent, consent_id)
            if row is None or row.subject_pinfl != pinfl:
                raise ConsentNotFound(f"You have no consent {consent_id}.")
            recipient = catalog.get_agency(session, row.recipient_agency_id).code
        return {
            "consent": consent_record(row, recipient),
            "sha256": row.receipt_digest.hex(),
            "timestamp_token": _b64(row.receipt_token),
            "withdrawn_at": instant(row.withdrawn_at) if row.withdrawn_at else None,
            "withdrawal_timestamp_token": _b64(row.withdrawal_token) if row.withdrawal_token else None,
            "verify": "openssl ts -verify -token_in -digest <sha256> -in <timestamp_token, base64-decoded> "
            "-CAfile <GET /pki/ca.pem> -untrusted <GET /pki/chain.pem>",
        }

    def my_tombstones(self, actor: Actor) -> list[TombstonePublic]:
        """What was destroyed of my data, when, why and on whose authority (never the content)."""
        with self._db.reading() as session:
            pinfl = _own_pinfl(session, actor)
            rows = session.scalars(
                sa.select(Tombstone).where(Tombstone.subject_pinfl == pinfl).order_by(Tombstone.at.desc())
            ).all()
        return [
            TombstonePublic(
                id=r.id,
                at=r.at,
                what=r.what,
                categories=r.categories,
                content_sha256=r.content_sha256.hex(),
                reason=r.reason,
                citation=r.citation,
                leaf_hash=_b64(r.leaf_hash),
            )
            for r in rows
        ]

    def consents(self, actor: Actor) -> list[ConsentPublic]:
        now = self.clock()
        with self._db.reading() as session:
            pinfl = _own_pinfl(session, actor)
            rows = session.scalars(
                sa.select(Consent).where(Consent.subject_pinfl == pinfl).order_by(Consent.given_at.desc())
            ).all()
            codes = catalog.agency_codes(session)
            return [_consent_public(row, codes[row.recipient_agency_id], now) for row in rows]


def _own_pinfl(session: Session, actor: Actor) -> str:
    if actor.role is not Role.citizen or actor.person_id is None:
        raise NotTheDataSubject("Only a citizen's own account can see or manage its personal data.")
    return identity.get_person(session, actor.person_id).pinfl


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _publics(session: Session, rows: Iterable[AccessRecord]) -> list[AccessRecordPublic]:
    rows = list(rows)
    codes = catalog.agency_codes(session)
    names = identity.display_names(session, {r.actor_account_id for r in rows if r.actor_account_id is not None})
    return [
        AccessRecordPublic(
            id=r.id,
            at=r.at,
            subject_pinfl=r.subject_pinfl,
            who=names.get(r.actor_account_id) if r.actor_account_id is not None else None,
            agency=codes.get(r.agency_id) if r.agency_id is not None else None,
            channel=r.channel,
            categories=r.categories,
            purpose=r.purpose,
            legal_ground=r.legal_ground,
            citation=r.citation,
            case=r.case_number,
            outside_case=r.outside_case,
            stated_reason=r.stated_reason,
            outcome=r.outcome,
            refusal=r.refusal,
            leaf_hash=_b64(r.leaf_hash),
        )
        for r in rows
    ]


def _consent_public(row: Consent, recipient: str, now: dt.datetime) -> ConsentPublic:
    return ConsentPublic(
        id=row.id,
        recipient=recipient,
        purpose=row.purpose,
        categories=row.categories,
        given_at=row.given_at,
        expires_at=row.expires_at,
        withdrawn_at=row.withdrawn_at,
        active=row.withdrawn_at is None and row.expires_at > now,
        receipt_sha256=row.receipt_digest.hex(),
        receipt_token=_b64(row.receipt_token),
        withdrawal_token=_b64(row.withdrawal_token) if row.withdrawal_token else None,
    )
