"""PKI operations: the CA hierarchy, issuance, renewal and revocation, CRL/OCSP/TSA answers, cloud signing,
and verification against the platform's own CA.

Every public method of :class:`Pki` is one domain operation with its own unit of work. ``actor=None`` means the
operator at the console (``shaffof pki …``), who is trusted as an administrator. The functions at the bottom
(:func:`verify_submission_jws`, :func:`load_verification_context`) are what other domains call from inside their
own transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shaffof.canonical_json import NotCanonicalizable
from shaffof.cases.interfaces import SignatureCheck
from shaffof.catalog import service as catalog
from shaffof.config import DEVELOPMENT_PKI_PASSPHRASE, Settings
from shaffof.db.base import utcnow
from shaffof.db.engine import Database
from shaffof.identity import service as identity
from shaffof.identity.actor import Actor
from shaffof.identity.models import Account, Person, Role
from shaffof.identity.policy import ensure_admin
from shaffof.observability import get_logger
from shaffof.pki import authority, ocsp, policy, profiles, stepup, tsa
from shaffof.pki._internal.sealing import Sealer
from shaffof.pki.chain import CertificateFacts, TrustAnchors, facts
from shaffof.pki.errors import (
    CertificateNotFound,
    CloudKeyExists,
    CloudKeyNotFound,
    CsrInvalid,
    IssuanceRefused,
    PayloadNotSignable,
    PkiAlreadyInitialised,
    PkiNotInitialised,
    PkiPassphraseRefused,
    RenewalRefused,
    RevocationRefused,
    RotationRefused,
    SigningNotAllowed,
)
from shaffof.pki.interfaces import CertificateStatusSource, KeyStore
from shaffof.pki.keystore import DatabaseKeyStore
from shaffof.pki.models import IssuanceStatus, IssuedCertificate, RevocationList, RevocationReason
from shaffof.pki.pdf_verify import verify_pdf
from shaffof.pki.profiles import AUTHORITY_KINDS, ROTATABLE_KINDS, CertificateKind, KeyCustody
from shaffof.pki.schemas import (
    CertificatePublic,
    CloudSignature,
    HierarchyPublic,
    SignerPublic,
    TotpEnrolmentPublic,
    VerificationReport,
)
from shaffof.pki.signing import jws
from shaffof.pki.status import DatabaseStatusSource, serial_text
from shaffof.pki.verify import (
    FailureReason,
    SignaturePolicy,
    VerificationFailure,
    VerificationResult,
    VerificationSuccess,
    verify_jws,
)

log = get_logger("shaffof.pki")

DEFAULT_MAX_SIGNATURE_AGE = dt.timedelta(hours=24)
MIN_PASSPHRASE_LENGTH = 32
CRL_VALIDITY = dt.timedelta(days=7)
CRL_REFRESH_AFTER = dt.timedelta(days=1)  # a CRL older than this is re-signed on the next request


@dataclass(frozen=True)
class PkiConfig:
    base_url: str
    passphrase: str
    certificate_months: int = 12
    organization: str = "Shaffof"
    refusal: str | None = None  # why key operations are refused (production with the development passphrase)


@dataclass(frozen=True)
class Authority:
    serial: str
    key_label: str
    facts: CertificateFacts

    @property
    def certificate(self) -> x509.Certificate:
        return self.facts.certificate


@dataclass(frozen=True)
class Hierarchy:
    root: Authority
    issuing: Authority
    tsa: Authority
    ocsp: Authority
    known_roots: tuple[CertificateFacts, ...] = ()
    known_issuing: tuple[CertificateFacts, ...] = ()

    @property
    def trust(self) -> TrustAnchors:
        return TrustAnchors(roots=self.known_roots or (self.root.facts,), intermediates=self.known_issuing)

    def issuer_of(self, certificate: x509.Certificate) -> x509.Certificate:
        """The issuing CA that signed ``certificate`` (after a rotation, older certificates keep their own)."""
        for known in self.known_issuing or (self.issuing.facts,):
            candidate = known.certificate
            if candidate.subject == certificate.issuer:
                try:
                    certificate.verify_directly_issued_by(candidate)
                except (ValueError, TypeError, InvalidSignature):
                    continue
                return candidate
        return self.issuing.certificate


@dataclass(frozen=True)
class StoreKey:
    """A key in the key store, usable where a :class:`jws.DataSigner` is expected, within ``session``."""

    keystore: KeyStore
    session: Session
    label: str

    def sign(self, data: bytes) -> bytes:
        return self.keystore.sign(self.session, self.label, data)


@dataclass(frozen=True)
class PlatformKey:
    """A platform-held signing key (an agency e-seal) with its certificate chain, valid within its session."""

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]  # leaf, issuing CA
    key: StoreKey

    def sign(self, data: bytes) -> bytes:
        """ECDSA-SHA-256 over ``data``, DER-encoded (what CMS/PAdES signers need)."""
        return self.key.sign(data)


@dataclass(frozen=True)
class VerificationContext:
    trust: TrustAnchors
    status: CertificateStatusSource | None


DocumentVerifier = Callable[[bytes, VerificationContext, dt.datetime], VerificationResult]


def _verify_jws_document(data: bytes, context: VerificationContext, at: dt.datetime) -> VerificationResult:
    return verify_jws(data, trust=context.trust, status=context.status, at=at)


def detect_format(data: bytes) -> str | None:
    """``pdf``, ``jws`` or None — by content, never by file name."""
    head = data[:1024].lstrip()
    if data.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"{") or head.startswith(b"eyJ"):  # a JSON JWS, or a compact one ({"… in base64url)
        return "jws"
    return None


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _spki_sha256(public_key: ec.EllipticCurvePublicKey) -> str:
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


@dataclass
class Pki:
    """The PKI domain service (built once by the composition root)."""

    db: Database
    keystore: KeyStore
    config: PkiConfig
    clock: Callable[[], dt.datetime] = utcnow
    _hierarchy: Hierarchy | None = field(default=None, init=False, repr=False)
    _sealer: Sealer | None = field(default=None, init=False, repr=False)
    # Called with (reader, holders' account ids) when someone reads other holders' certificates (which name
    # the person and their PINFL): the data tracker records it before the certificates are returned.
    read_handlers: list[Callable[[Actor, set[int]], None]] = field(default_factory=list, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, db: Database) -> Pki:
        """The PKI over the database key store; the development passphrase is warned about, or refused in
        production (every key operation then answers ``PkiPassphraseRefused``)."""
        passphrase = settings.pki_passphrase.get_secret_value()
        refusal = None
        if passphrase == DEVELOPMENT_PKI_PASSPHRASE or len(passphrase) < MIN_PASSPHRASE_LENGTH:
            if settings.is_production:
                refusal = (
                    "SHAFFOF_PKI_PASSPHRASE must be a random value of at least "
                    f"{MIN_PASSPHRASE_LENGTH} characters in production (the development default is refused)."
                )
                log.error("pki key store locked", problem=refusal)
            else:
                log.warning(
                    "unsafe configuration",
                    problem="development PKI passphrase in use (set SHAFFOF_PKI_PASSPHRASE): CA and cloud keys are "
                    "sealed under a passphrase anyone can read in the source code",
                    env=settings.env.value,
                )
        if settings.is_production and not settings.public_url:
            log.warning(
                "unsafe configuration",
                problem="SHAFFOF_PUBLIC_URL is not set: certificates will point relying parties at "
                f"http://{settings.host}:{settings.port}/pki/… for CRLs, OCSP and CA certificates",
            )
        config = PkiConfig(
            base_url=settings.public_url or f"http://{settings.host}:{settings.port}",
            passphrase=passphrase,
            certificate_months=settings.pki_certificate_months,
            refusal=refusal,
        )
        return cls(db=db, keystore=DatabaseKeyStore(passphrase), config=config)

    # ------------------------------------------------------------------ keys and the hierarchy

    def _keys(self) -> KeyStore:
        if self.config.refusal:
            raise PkiPassphraseRefused(self.config.refusal)
        return self.keystore

    def sealer(self) -> Sealer:
        if self.config.refusal:
            raise PkiPassphraseRefused(self.config.refusal)
        if self._sealer is None:
            self._sealer = Sealer(self.config.passphrase)
        return self._sealer

    def _issuer(self, session: Session, authority_: Authority) -> authority.Issuer:
        key = StoreKey(self._keys(), session, authority_.key_label)
        return authority.Issuer(authority_.certificate, key.sign)

    @property
    def endpoints(self) -> authority.Endpoints:
        return authority.Endpoints(self.config.base_url)

    def _name(self, common_name: str) -> x509.Name:
        return authority.name(common_name, organization=self.config.organization)

    def initialise(self) -> HierarchyPublic:
        """Create the root CA, the issuing CA, the TSA and OCSP responder certificates, and the first CRLs."""
        now = self.clock().astimezone(dt.UTC).replace(microsecond=0)
        keys = self._keys()
        with self.db.uow() as uow:
            session = uow.session
            if session.scalar(
                sa.select(IssuedCertificate.serial).where(IssuedCertificate.kind == CertificateKind.root_ca)
            ):
                raise PkiAlreadyInitialised("The certification authority is already set up; see `shaffof pki list`.")
            suffix = uuid.uuid4().hex[:12]
            labels = {k: f"ca/{k.value}/{suffix}" for k in (CertificateKind.root_ca, CertificateKind.issuing_ca)}
            public = {kind: keys.generate(session, label) for kind, label in labels.items()}
            org = self.config.organization
            root_key = StoreKey(keys, session, labels[CertificateKind.root_ca])
            root = authority.root_certificate(
                public[CertificateKind.root_ca], root_key.sign, subject=self._name(f"{org} Root CA"), not_before=now
            )
            root_row = self._record(session, root, CertificateKind.root_ca, key_label=labels[CertificateKind.root_ca])
            issuing = authority.issuing_ca_certificate(
                public[CertificateKind.issuing_ca],
                authority.Issuer(root, root_key.sign),
                self.endpoints,
                subject=self._name(f"{org} Issuing CA 1"),
                not_before=now,
            )
            issuing_row = self._record(
                session,
                issuing,
                CertificateKind.issuing_ca,
                key_label=labels[CertificateKind.issuing_ca],
                issuer=root_row,
            )
            issuing_ca = Authority(issuing_row.serial, labels[CertificateKind.issuing_ca], facts(issuing_row.der))
            for kind in (CertificateKind.tsa, CertificateKind.ocsp_responder):
                self._certify_authority(session, kind, issuing_ca, now, suffix)
            hierarchy = self._load_hierarchy(session)
            self._issue_crl(session, hierarchy.issuing, now)
            self._issue_crl(session, hierarchy.root, now)
            result = HierarchyPublic(
                root=self._public(session, root_row),
                issuing=self._public(session, issuing_row),
                tsa=self._public(session, self._row(session, hierarchy.tsa.serial)),
                ocsp_responder=self._public(session, self._row(session, hierarchy.ocsp.serial)),
            )
            uow.commit()
        log.info("pki initialised", root=hierarchy.root.serial, issuing=hierarchy.issuing.serial)
        return result

    def hierarchy(self, session: Session | None = None) -> Hierarchy:
        """The current CA hierarchy (cached once loaded; ``PkiNotInitialised`` before ``shaffof pki init``)."""
        if self._hierarchy is None:
            if session is None:
                with self.db.reading() as reading:
                    self._hierarchy = self._load_hierarchy(reading)
            else:
                self._hierarchy = self._load_hierarchy(session)
        return self._hierarchy

    @staticmethod
    def _load_hierarchy(session: Session) -> Hierarchy:
        """The newest active authority of each kind signs; every CA ever set up stays known to verification
        (a revoked one too: its revocation is checked against the signature's trusted time)."""
        rows = session.execute(
            sa.select(
                IssuedCertificate.kind,
                IssuedCertificate.serial,
                IssuedCertificate.key_label,
                IssuedCertificate.der,
                IssuedCertificate.status,
            )
            .where(IssuedCertificate.kind.in_(AUTHORITY_KINDS))
            .order_by(IssuedCertificate.not_before.desc(), IssuedCertificate.created_at.desc())
        ).all()
        newest: dict[CertificateKind, Authority] = {}
        every: dict[CertificateKind, list[CertificateFacts]] = {}
        for kind, serial, label, der, status in rows:
            if status is IssuanceStatus.active:
                newest.setdefault(kind, Authority(serial=serial, key_label=label or "", facts=facts(der)))
            every.setdefault(kind, []).append(facts(der))
        missing = set(AUTHORITY_KINDS) - set(newest)
        if missing:
            raise PkiNotInitialised("The platform's certification authority is not set up yet: run `shaffof pki init`.")
        return Hierarchy(
            root=newest[CertificateKind.root_ca],
            issuing=newest[CertificateKind.issuing_ca],
            tsa=newest[CertificateKind.tsa],
            ocsp=newest[CertificateKind.ocsp_responder],
            known_roots=tuple(every[CertificateKind.root_ca]),
            known_issuing=tuple(every[CertificateKind.issuing_ca]),
        )

    # ------------------------------------------------------------------ rotation

    def rotate(self, actor: Actor | None, kind: CertificateKind) -> CertificatePublic:
        """A new key and certificate for the issuing CA, the TSA or the OCSP responder; the old one stays valid
        for what it signed until it expires or is revoked. A new issuing CA comes with its own OCSP responder
        (RFC 6960 delegated responders answer for their issuer only) and its first CRL; new certificates are
        issued by it from now on. Administrators (or the console, ``actor`` None) only."""
        if actor is not None:
            ensure_admin(actor)
        if kind not in ROTATABLE_KINDS:
            raise RotationRefused(
                f"Only {', '.join(k.value for k in ROTATABLE_KINDS)} rotate; a new root is a manual ceremony."
            )
        now = self.clock().astimezone(dt.UTC).replace(microsecond=0)
        keys = self._keys()
        org = self.config.organization
        with self.db.uow() as uow:
            session = uow.session
            hierarchy = self._load_hierarchy(session)
            suffix = uuid.uuid4().hex[:12]
            if kind is CertificateKind.issuing_ca:
                label = f"ca/{kind.value}/{suffix}"
                generation = len(hierarchy.known_issuing) + 1
                certificate = authority.issuing_ca_certificate(
                    keys.generate(session, label),
                    self._issuer(session, hierarchy.root),
                    self.endpoints,
                    subject=self._name(f"{org} Issuing CA {generation}"),
                    not_before=now,
                )
                row = self._record(
                    session, certificate, kind, key_label=label, issuer=self._row(session, hierarchy.root.serial)
                )
                new_ca = Authority(serial=row.serial, key_label=label, facts=facts(row.der))
                self._issue_crl(session, new_ca, now)
                self._certify_authority(session, CertificateKind.ocsp_responder, new_ca, now, suffix)
            else:
                row = self._certify_authority(session, kind, hierarchy.issuing, now, suffix)
            result = self._public(session, row)
            uow.commit()
        self._hierarchy = None  # the next use loads the new hierarchy (other processes: on restart)
        log.info("pki rotated", kind=kind.value, serial=result.serial)
        return result

    def _certify_authority(
        self, session: Session, kind: CertificateKind, issuing: Authority, now: dt.datetime, suffix: str
    ) -> IssuedCertificate:
        """A TSA or OCSP responder certificate from ``issuing`` (a fresh key)."""
        org = self.config.organization
        profile, common_name, years = {
            CertificateKind.tsa: (authority.TSA_PROFILE, f"{org} Time-Stamping Authority", profiles.TSA_YEARS),
            CertificateKind.ocsp_responder: (
                authority.OCSP_PROFILE,
                f"{org} OCSP Responder",
                profiles.OCSP_RESPONDER_YEARS,
            ),
        }[kind]
        label = f"ca/{kind.value}/{suffix}"
        certificate = authority.end_entity_certificate(
            self._keys().generate(session, label),
            self._issuer(session, issuing),
            self.endpoints,
            profile,
            subject=self._name(common_name),
            not_before=now,
            not_after=profiles.add_months(now, 12 * years),
        )
        return self._record(session, certificate, kind, key_label=label, issuer=self._row(session, issuing.serial))

    # ------------------------------------------------------------------ the issuance register

    def _record(
        self,
        session: Session,
        certificate: x509.Certificate,
        kind: CertificateKind,
        *,
        issuer: IssuedCertificate | None = None,
        issuer_serial: str | None = None,
        custody: KeyCustody = KeyCustody.platform,
        key_label: str | None = None,
        person_id: int | None = None,
        account_id: int | None = None,
        agency_id: int | None = None,
        renewals: int = 0,
        renewed_from: str | None = None,
    ) -> IssuedCertificate:
        public_key = certificate.public_key()
        assert isinstance(public_key, ec.EllipticCurvePublicKey)
        row = IssuedCertificate(
            serial=serial_text(certificate.serial_number),
            issuer_serial=issuer.serial if issuer is not None else issuer_serial,
            kind=kind,
            subject=certificate.subject.rfc4514_string(),
            person_id=person_id,
            account_id=account_id,
            agency_id=agency_id,
            custody=custody,
            key_label=key_label,
            public_key_sha256=_spki_sha256(public_key),
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            status=IssuanceStatus.active,
            renewals=renewals,
            renewed_from=renewed_from,
            der=certificate.public_bytes(serialization.Encoding.DER),
            created_at=self.clock(),
        )
        session.add(row)
        session.flush()
        return row

    @staticmethod
    def _row(session: Session, serial: str, *, for_update: bool = False) -> IssuedCertificate:
        # Accept the forms people copy: "0x1A2B", "1a:2b" (openssl's), leading zeros.
        key = serial.strip().lower().removeprefix("0x").replace(":", "").lstrip("0") or "0"
        row = session.get(IssuedCertificate, key, with_for_update=for_update)
        if row is None:
            raise CertificateNotFound(f"No certificate with serial number {serial} was issued by this platform.")
        return row

    def _public(self, session: Session, row: IssuedCertificate) -> CertificatePublic:
        certificate = x509.load_der_x509_certificate(row.der)
        chain = [certificate]
        if row.issuer_serial and row.kind not in (CertificateKind.root_ca, CertificateKind.issuing_ca):
            issuer_der = session.scalar(
                sa.select(IssuedCertificate.der).where(IssuedCertificate.serial == row.issuer_serial)
            )
            if issuer_der is not None:
                chain.append(x509.load_der_x509_certificate(issuer_der))
        return CertificatePublic(
            serial=row.serial,
            kind=row.kind,
            subject=row.subject,
            custody=row.custody,
            status=row.status,
            not_before=row.not_before,
            not_after=row.not_after,
            renewals=row.renewals,
            renewed_from=row.renewed_from,
            revoked_at=row.revoked_at,
            revocation_reason=row.revocation_reason,
            certificate_pem=_pem(certificate),
            chain_pem="".join(_pem(c) for c in chain),
        )

    def _holder_subject(
        self, session: Session, kind: CertificateKind, *, person_id: int | None, account_id: int
    ) -> tuple[x509.Name, int | None]:
        """The subject from the platform's records — never from a CSR — and the agency it names."""
        account = session.get(Account, account_id)
        if account is None:
            raise CertificateNotFound("The account no longer exists.")
        if kind is CertificateKind.citizen:
            person = session.get(Person, person_id)
            if person is None:
                raise IssuanceRefused("The account has no person record to name in a certificate.")
            return (
                authority.name(
                    person.full_name,
                    surname=person.last_name,
                    given_name=person.first_name,
                    serial_number=profiles.pinfl_serial_number(person.pinfl),
                ),
                None,
            )
        if account.agency_id is None:
            raise IssuanceRefused("An officer's certificate names their agency; this account has none.")
        agency = catalog.get_agency(session, account.agency_id)
        return (
            authority.name(
                account.display_name,
                organization=agency.name.get("uz") or agency.code,
                unit=agency.code,
                user_id=account.login,
            ),
            agency.id,
        )

    def _certify(
        self,
        session: Session,
        public_key: ec.EllipticCurvePublicKey,
        kind: CertificateKind,
        policy_oid: x509.ObjectIdentifier,
        subject: x509.Name,
        now: dt.datetime,
        **record: Any,
    ) -> IssuedCertificate:
        hierarchy = self.hierarchy(session)
        # ZRU-793: at most 24 months (settings choose up to that), issued at once (the law allows 1 working day).
        not_before, not_after = profiles.signer_validity(now, self.config.certificate_months)
        certificate = authority.end_entity_certificate(
            public_key,
            self._issuer(session, hierarchy.issuing),
            self.endpoints,
            authority.signer_profile(policy_oid),
            subject=subject,
            not_before=not_before,
            not_after=not_after,
        )
        return self._record(session, certificate, kind, issuer_serial=hierarchy.issuing.serial, **record)

    @staticmethod
    def _public_key_of_csr(csr_pem: str) -> ec.EllipticCurvePublicKey:
        try:
            csr = x509.load_pem_x509_csr(csr_pem.strip().encode("ascii", errors="replace"))
            proof = csr.is_signature_valid
            public_key = csr.public_key()
        except (ValueError, TypeError):
            raise CsrInvalid(
                "The CSR is not a PEM PKCS#10 request (-----BEGIN CERTIFICATE REQUEST-----).",
            ) from None
        if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(public_key.curve, ec.SECP256R1):
            raise CsrInvalid("Use an ECDSA key on the P-256 curve (ES256); other key types are not certified.")
        if not proof:
            raise CsrInvalid(
                "The CSR's signature does not verify: it must be signed with the key it carries (proof of possession)."
            )
        return public_key

    def _refuse_certified_key(self, session: Session, public_key: ec.EllipticCurvePublicKey) -> None:
        existing = session.scalar(
            sa.select(IssuedCertificate.serial)
            .where(IssuedCertificate.public_key_sha256 == _spki_sha256(public_key))
            .limit(1)
        )
        if existing is not None:
            # Otherwise a new CSR for an old key would be an unlimited extension (ZRU-793 allows two).
            raise IssuanceRefused(
                f"This key is already certified (certificate {existing}). Generate a new key, or extend that "
                "certificate (at most twice, ZRU-793)."
            )

    def request_certificate(self, actor: Actor, csr_pem: str) -> CertificatePublic:
        """Certify the key in a CSR for the signed-in citizen or officer (client-held key custody)."""
        kind = policy.signer_kind_for(actor)
        public_key = self._public_key_of_csr(csr_pem)
        now = self.clock()
        with self.db.uow() as uow:
            row = self._issue_to_account(uow.session, actor.account_id, actor.person_id, kind, public_key, now)
            result = self._public(uow.session, row)
            uow.commit()
        log.info("certificate issued", serial=result.serial, kind=kind.value, account_id=actor.account_id)
        return result

    def _issue_to_account(
        self,
        session: Session,
        account_id: int,
        person_id: int | None,
        kind: CertificateKind,
        public_key: ec.EllipticCurvePublicKey,
        now: dt.datetime,
        *,
        custody: KeyCustody = KeyCustody.client,
        key_label: str | None = None,
    ) -> IssuedCertificate:
        self._refuse_certified_key(session, public_key)
        subject, agency_id = self._holder_subject(session, kind, person_id=person_id, account_id=account_id)
        if kind is CertificateKind.citizen:
            policy_oid = (
                profiles.POLICY_CITIZEN_CLOUD_KEY
                if custody is KeyCustody.platform
                else profiles.POLICY_CITIZEN_CLIENT_KEY
            )
        else:
            policy_oid = profiles.POLICY_OFFICER
        return self._certify(
            session,
            public_key,
            kind,
            policy_oid,
            subject,
            now,
            custody=custody,
            key_label=key_label,
            person_id=person_id if kind is CertificateKind.citizen else None,
            account_id=account_id,
            agency_id=agency_id,
        )

    def issue_from_csr_for(self, login: str, csr_pem: str) -> CertificatePublic:
        """The console's issuance: certify a CSR for the account ``login`` (a citizen's PINFL or an officer)."""
        public_key = self._public_key_of_csr(csr_pem)
        now = self.clock()
        with self.db.uow() as uow:
            account = identity.find_account_by_login(uow.session, login)
            if account is None:
                account = uow.session.scalar(
                    sa.select(Account).join(Person, Person.id == Account.person_id).where(Person.pinfl == login)
                )
            if account is None:
                raise CertificateNotFound(f"No account or person {login!r}.")
            kind = policy.signer_kind_for(identity.actor_of(account))
            row = self._issue_to_account(uow.session, account.id, account.person_id, kind, public_key, now)
            result = self._public(uow.session, row)
            uow.commit()
        return result

    def issue_eseal(self, actor: Actor | None, agency_code: str) -> CertificatePublic:
        """An agency's electronic seal: a platform-held key that signs automated decisions for the agency."""
        if actor is not None:
            ensure_admin(actor)
        now = self.clock()
        keys = self._keys()
        with self.db.uow() as uow:
            session = uow.session
            agency = catalog.get_agency_by_code(session, agency_code)
            label = f"eseal/{agency.code}/{uuid.uuid4().hex}"
            public_key = keys.generate(session, label)
            agency_name = agency.name.get("uz") or agency.code
            subject = authority.name(agency_name, organization=agency_name, unit=agency.code)
            row = self._certify(
                session,
                public_key,
                CertificateKind.eseal,
                profiles.POLICY_ESEAL,
                subject,
                now,
                custody=KeyCustody.platform,
                key_label=label,
                agency_id=agency.id,
            )
            result = self._public(session, row)
            uow.commit()
        log.info("e-seal issued", serial=result.serial, agency=agency_code)
        return result

    def eseal(self, session: Session, agency_code: str) -> PlatformKey:
        """The agency's current e-seal key and chain, to sign automated decisions within ``session``."""
        now = self.clock()
        agency = catalog.get_agency_by_code(session, agency_code)
        row = session.scalar(
            sa.select(IssuedCertificate)
            .where(
                IssuedCertificate.kind == CertificateKind.eseal,
                IssuedCertificate.agency_id == agency.id,
                IssuedCertificate.status == IssuanceStatus.active,
                IssuedCertificate.not_after > now,
            )
            .order_by(IssuedCertificate.not_after.desc())
            .limit(1)
        )
        if row is None or row.key_label is None:
            raise CertificateNotFound(
                f"The agency {agency_code} has no valid e-seal: `shaffof pki issue --eseal {agency_code}`."
            )
        hierarchy = self.hierarchy(session)
        certificate = x509.load_der_x509_certificate(row.der)
        return PlatformKey(
            certificate, (certificate, hierarchy.issuer_of(certificate)), StoreKey(self._keys(), session, row.key_label)
        )

    def renew(self, actor: Actor | None, serial: str) -> CertificatePublic:
        """Extend a certificate: same key, subject refreshed from the records, a new validity (ZRU-793: twice)."""
        now = self.clock()
        with self.db.uow() as uow:
            session = uow.session
            old = self._row(session, serial, for_update=True)
            if actor is not None:
                policy.ensure_holder_or_admin(actor, old, "extended")
            if old.kind not in profiles.SIGNER_KINDS:
                raise RenewalRefused("Only signature certificates are extended.")
            if old.status is IssuanceStatus.revoked:
                raise RenewalRefused("A revoked certificate cannot be extended; apply for a new one with a new key.")
            if old.not_after < now:
                raise RenewalRefused("The certificate has expired; apply for a new certificate with a new key.")
            successor = session.scalar(
                sa.select(IssuedCertificate.serial).where(IssuedCertificate.renewed_from == old.serial)
            )
            if successor is not None:
                raise RenewalRefused(f"This certificate was already extended by {successor}; extend that one instead.")
            refusal = profiles.renewal_refusal(old.renewals)
            if refusal:
                raise RenewalRefused(refusal, citation=profiles.ZRU_793_VALIDITY.model_dump(mode="json"))
            certificate = x509.load_der_x509_certificate(old.der)
            public_key = certificate.public_key()
            assert isinstance(public_key, ec.EllipticCurvePublicKey)
            if old.kind is CertificateKind.eseal:
                subject = certificate.subject
            else:
                assert old.account_id is not None
                subject, _ = self._holder_subject(session, old.kind, person_id=old.person_id, account_id=old.account_id)
            policy_oid = next(iter(profiles.policies_of(certificate)))
            try:
                row = self._certify(
                    session,
                    public_key,
                    old.kind,
                    policy_oid,
                    subject,
                    now,
                    custody=old.custody,
                    key_label=old.key_label,
                    person_id=old.person_id,
                    account_id=old.account_id,
                    agency_id=old.agency_id,
                    renewals=old.renewals + 1,
                    renewed_from=old.serial,
                )
            except IntegrityError:
                raise RenewalRefused("This certificate is being extended by another request.") from None
            result = self._public(session, row)
            uow.commit()
        return result

    def revoke(self, actor: Actor | None, serial: str, reason: RevocationReason) -> CertificatePublic:
        """Revoke at once: the CRL is re-signed and OCSP answers ``revoked`` in the same transaction."""
        now = self.clock()
        with self.db.uow() as uow:
            session = uow.session
            row = self._row(session, serial, for_update=True)
            if actor is not None:
                policy.ensure_holder_or_admin(actor, row, "revoked")
            if row.kind is CertificateKind.root_ca:
                raise RevocationRefused(
                    "The root is not revoked here; a new hierarchy is a manual ceremony (docs/pki.md)."
                )
            # An issuing CA (the console only: the API refuses infrastructure certificates) — never the one in use.
            if row.kind is CertificateKind.issuing_ca and row.serial == self._load_hierarchy(session).issuing.serial:
                raise RevocationRefused(
                    "This is the issuing CA in use: rotate first (`shaffof pki rotate issuing_ca`), then revoke it."
                )
            if row.status is IssuanceStatus.revoked:
                raise RevocationRefused(
                    f"The certificate was already revoked at {row.revoked_at:%Y-%m-%d %H:%M:%S} UTC."
                )
            row.status, row.revoked_at, row.revocation_reason = IssuanceStatus.revoked, now, reason
            cloud_key = row.kind in (CertificateKind.citizen, CertificateKind.officer)
            if row.custody is KeyCustody.platform and cloud_key and row.key_label:
                # A revoked cloud key can never sign again: erase it (renewals share it, so they go with it).
                self._keys().destroy(session, row.key_label)
                session.execute(
                    sa.update(IssuedCertificate)
                    .where(
                        IssuedCertificate.key_label == row.key_label, IssuedCertificate.status == IssuanceStatus.active
                    )
                    .values(status=IssuanceStatus.revoked, revoked_at=now, revocation_reason=reason)
                )
            session.flush()
            issuer = self._authority_for(session, row.issuer_serial)
            self._issue_crl(session, issuer, now)
            result = self._public(session, row)
            uow.commit()
        if row.kind in AUTHORITY_KINDS:
            self._hierarchy = None
        log.info("certificate revoked", serial=result.serial, reason=reason.value)
        return result

    def _authority_for(self, session: Session, serial: str | None) -> Authority:
        row = self._row(session, serial or "")
        return Authority(serial=row.serial, key_label=row.key_label or "", facts=facts(row.der))

    def list_certificates(
        self,
        actor: Actor | None,
        *,
        kind: CertificateKind | None = None,
        status: IssuanceStatus | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[CertificatePublic]:
        """The signed-in holder's certificates; administrators and auditors (and the console) see all."""
        query = sa.select(IssuedCertificate).order_by(IssuedCertificate.created_at.desc(), IssuedCertificate.serial)
        if actor is not None and actor.role not in (Role.admin, Role.auditor):
            query = query.where(IssuedCertificate.account_id == actor.account_id)
        if kind is not None:
            query = query.where(IssuedCertificate.kind == kind)
        if status is not None:
            query = query.where(IssuedCertificate.status == status)
        with self.db.reading() as session:
            rows = session.scalars(query.limit(limit).offset(offset)).all()
            certificates = [self._public(session, row) for row in rows]
        self._record_reads(actor, {row.account_id for row in rows if row.account_id is not None})
        return certificates

    def _record_reads(self, actor: Actor | None, account_ids: set[int]) -> None:
        others = account_ids - {actor.account_id} if actor is not None else set()
        if others and actor is not None:
            for handler in self.read_handlers:
                handler(actor, others)

    def get_certificate(self, actor: Actor, serial: str) -> CertificatePublic:
        with self.db.reading() as session:
            row = self._row(session, serial)
            if not policy.may_read(actor, row):
                raise CertificateNotFound(f"No certificate with serial number {serial} among yours.")
            certificate = self._public(session, row)
        self._record_reads(actor, {row.account_id} if row.account_id is not None else set())
        return certificate

    # ------------------------------------------------------------------ publication: CA certificates, CRL, OCSP, TSA

    def ca_certificates(self) -> tuple[x509.Certificate, x509.Certificate]:
        """(root, issuing CA)."""
        hierarchy = self.hierarchy()
        return hierarchy.root.certificate, hierarchy.issuing.certificate

    def issuing_ca_der(self, serial: str) -> bytes:
        """The certificate of the issuing CA ``serial`` (current or earlier), DER."""
        with self.db.reading() as session:
            row = self._row(session, serial)
            if row.kind is not CertificateKind.issuing_ca:
                raise CertificateNotFound(f"{serial} is not an issuing CA of this platform.")
            return row.der

    def _issue_crl(self, session: Session, issuer: Authority, now: dt.datetime) -> RevocationList:
        # Lock the issuer's row: CRL numbers of one issuer are assigned one at a time (PostgreSQL; SQLite
        # writers are serialised anyway).
        session.execute(
            sa.select(IssuedCertificate.serial).where(IssuedCertificate.serial == issuer.serial).with_for_update()
        )
        last = session.scalar(
            sa.select(sa.func.max(RevocationList.number)).where(RevocationList.issuer_serial == issuer.serial)
        )
        revoked = session.execute(
            sa.select(
                IssuedCertificate.serial, IssuedCertificate.revoked_at, IssuedCertificate.revocation_reason
            ).where(
                IssuedCertificate.issuer_serial == issuer.serial,
                IssuedCertificate.status == IssuanceStatus.revoked,
                IssuedCertificate.not_after > now,  # expired certificates may leave the CRL (RFC 5280 §3.3)
            )
        ).all()
        entries = [
            authority.RevokedEntry(int(serial, 16), revoked_at, (reason or RevocationReason.unspecified).flag)
            for serial, revoked_at, reason in revoked
            if revoked_at is not None
        ]
        this_update = now.astimezone(dt.UTC).replace(microsecond=0)
        crl = authority.revocation_list(
            self._issuer(session, issuer),
            entries,
            number=(last or 0) + 1,
            this_update=this_update,
            next_update=this_update + CRL_VALIDITY,
        )
        row = RevocationList(
            issuer_serial=issuer.serial,
            number=(last or 0) + 1,
            this_update=this_update,
            next_update=this_update + CRL_VALIDITY,
            der=crl.public_bytes(serialization.Encoding.DER),
        )
        session.add(row)
        session.flush()
        return row

    def crl(self, *, root: bool = False, issuer_serial: str | None = None) -> bytes:
        """The newest CRL of the issuing CA in use, of the issuing CA ``issuer_serial`` (after a rotation), or
        the root's (listing revoked CAs); re-signed when a day old."""
        now = self.clock()
        hierarchy = self.hierarchy()
        if issuer_serial is not None:
            with self.db.reading() as session:
                row = self._row(session, issuer_serial)
                if row.kind is not CertificateKind.issuing_ca:
                    raise CertificateNotFound(f"{issuer_serial} is not an issuing CA of this platform.")
                issuer = Authority(row.serial, row.key_label or "", facts(row.der))
        else:
            issuer = hierarchy.root if root else hierarchy.issuing

        def newest(session: Session) -> RevocationList | None:
            return session.scalar(
                sa.select(RevocationList)
                .where(RevocationList.issuer_serial == issuer.serial)
                .order_by(RevocationList.number.desc())
                .limit(1)
            )

        with self.db.reading() as session:
            current = newest(session)
            if current is not None and now < current.this_update + CRL_REFRESH_AFTER:
                return current.der
        with self.db.uow() as uow:
            current = newest(uow.session)
            if current is None or now >= current.this_update + CRL_REFRESH_AFTER:
                current = self._issue_crl(uow.session, issuer, now)
            der = current.der
            uow.commit()
        return der

    def ocsp_response(self, request_der: bytes) -> bytes:
        """RFC 6960 answer, signed by the responder of the issuing CA the request names (each issuing CA has
        its own delegated responder; the newest if the request names none of them)."""
        now = self.clock()
        with self.db.reading() as session:
            hierarchy = self.hierarchy(session)
            ca = hierarchy.issuing.certificate
            for known in hierarchy.known_issuing:
                if ocsp.asks_about(request_der, known.certificate):
                    ca = known.certificate
                    break
            responder_row = session.scalar(
                sa.select(IssuedCertificate)
                .where(
                    IssuedCertificate.kind == CertificateKind.ocsp_responder,
                    IssuedCertificate.issuer_serial == serial_text(ca.serial_number),
                    IssuedCertificate.status == IssuanceStatus.active,
                    IssuedCertificate.not_after > now,
                )
                .order_by(IssuedCertificate.not_before.desc())
                .limit(1)
            )
            if responder_row is None or responder_row.key_label is None:  # the CA has no responder: say so
                ca = hierarchy.issuing.certificate
                certificate, label = hierarchy.ocsp.certificate, hierarchy.ocsp.key_label
            else:
                certificate, label = x509.load_der_x509_certificate(responder_row.der), responder_row.key_label
            status = DatabaseStatusSource(session)
            responder = ocsp.OcspResponder(certificate, ca, StoreKey(self._keys(), session, label).sign)
            return ocsp.respond(request_der, responder, lambda serial: status.status(ca, serial), now=now)

    def _tsa_signer(self, session: Session) -> tsa.TsaSigner:
        hierarchy = self.hierarchy(session)
        return tsa.TsaSigner(
            hierarchy.tsa.certificate,
            StoreKey(self._keys(), session, hierarchy.tsa.key_label).sign,
            (hierarchy.issuer_of(hierarchy.tsa.certificate),),
        )

    def timestamp_response(self, request_der: bytes) -> bytes:
        """RFC 3161 over HTTP: a ``TimeStampResp`` for a ``TimeStampReq``."""
        with self.db.reading() as session:
            return tsa.respond(request_der, self._tsa_signer(session), now=self.clock())

    def timestamp_digest(self, digest_sha256: bytes) -> bytes:
        """An RFC 3161 token (DER) over a SHA-256 digest: the ledger stamps its checkpoints with it."""
        with self.db.reading() as session:
            return tsa.stamp(digest_sha256, self._tsa_signer(session), now=self.clock())

    def timestamp_jws_in(self, session: Session, token: str) -> tuple[str, dt.datetime]:
        """Attach an RFC 3161 token to a JWS within ``session`` (e.g. the submission's transaction)."""
        now = self.clock()
        parsed = jws.parse(token)
        stamp = tsa.stamp(jws.timestamp_imprint(parsed.signature_b64), self._tsa_signer(session), now=now)
        return jws.attach_timestamp(token, stamp), now

    def timestamp_jws(self, token: str) -> str:
        """The JWS with an RFC 3161 timestamp over its signature attached (flattened JSON serialization)."""
        parsed = jws.parse(token)
        with self.db.reading() as session:
            stamp = tsa.stamp(jws.timestamp_imprint(parsed.signature_b64), self._tsa_signer(session), now=self.clock())
        return jws.attach_timestamp(token, stamp)

    # ------------------------------------------------------------------ step-up (TOTP) and cloud signature

    def enrol_totp(self, actor: Actor) -> TotpEnrolmentPublic:
        with self.db.uow() as uow:
            enrolment = stepup.enrol(uow, self.sealer(), actor.account_id, actor.display_name, self.clock())
        return TotpEnrolmentPublic(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri)

    def confirm_totp(self, actor: Actor, code: str) -> None:
        with self.db.uow() as uow:
            stepup.confirm(uow, self.sealer(), actor.account_id, code, self.clock())

    def _active_cloud_key(self, session: Session, account_id: int, now: dt.datetime) -> IssuedCertificate | None:
        return session.scalar(
            sa.select(IssuedCertificate)
            .where(
                IssuedCertificate.account_id == account_id,
                IssuedCertificate.kind.in_((CertificateKind.citizen, CertificateKind.officer)),
                IssuedCertificate.custody == KeyCustody.platform,
                IssuedCertificate.status == IssuanceStatus.active,
                IssuedCertificate.not_before <= now,
                IssuedCertificate.not_after > now,
            )
            .order_by(IssuedCertificate.not_after.desc())
            .limit(1)
        )

    def create_cloud_key(self, actor: Actor, totp: str) -> CertificatePublic:
        """Generate a key the platform keeps sealed, and certify it for the citizen or officer (after a TOTP
        step-up)."""
        kind = policy.ensure_cloud_signer(actor)
        now = self.clock()
        keys = self._keys()
        with self.db.uow() as uow:
            session = uow.session
            stepup.use_code(uow, self.sealer(), actor.account_id, totp, now)
            existing = self._active_cloud_key(session, actor.account_id, now)
            if existing is not None:
                raise CloudKeyExists(
                    f"You already have an active cloud key (certificate {existing.serial}); "
                    "revoke it to make a new one."
                )
            label = f"cloud/{actor.account_id}/{uuid.uuid4().hex}"
            public_key = keys.generate(session, label)
            row = self._issue_to_account(
                session,
                actor.account_id,
                actor.person_id,
                kind,
                public_key,
                now,
                custody=KeyCustody.platform,
                key_label=label,
            )
            result = self._public(session, row)
            uow.commit()
        log.info("cloud key created", serial=result.serial, account_id=actor.account_id)
        return result

    def cloud_sign(self, actor: Actor, payload: Any, totp: str, *, timestamp: bool = False) -> CloudSignature:
        """Sign ``payload`` (its RFC 8785 form) with the citizen's cloud key; each act spends a fresh TOTP code."""
        policy.ensure_cloud_signer(actor)
        now = self.clock()
        with self.db.uow() as uow:
            session = uow.session
            stepup.use_code(uow, self.sealer(), actor.account_id, totp, now)
            row = self._active_cloud_key(session, actor.account_id, now)
            if row is None or row.key_label is None:
                raise CloudKeyNotFound("You have no valid cloud key: POST /api/v1/pki/cloud-keys creates one.")
            hierarchy = self.hierarchy(session)
            leaf = x509.load_der_x509_certificate(row.der)
            chain = (leaf, hierarchy.issuer_of(leaf))
            try:
                token = jws.sign_submission(payload, StoreKey(self._keys(), session, row.key_label), chain, now)
            except NotCanonicalizable as error:
                raise PayloadNotSignable(f"The payload cannot be put in RFC 8785 canonical form: {error}.") from None
            if timestamp:
                parsed = jws.parse(token)
                stamp = tsa.stamp(jws.timestamp_imprint(parsed.signature_b64), self._tsa_signer(session), now=now)
                token = jws.attach_timestamp(token, stamp)
            uow.commit()  # the spent code
        log.info("cloud signature made", serial=row.serial, account_id=actor.account_id)
        return CloudSignature(jws=token, certificate_serial=row.serial, signing_time=now.replace(microsecond=0))

    def decision_key(self, actor: Actor, totp: str) -> Callable[[Session], PlatformKey]:
        """The officer's own cloud key for signing one decision (ZRU-793: a key kept by the platform is used
        only after a second factor, for each act): spends a fresh TOTP code now and returns the loader of the key
        within the session that signs. The deciding body is checked against the certificate when signing."""
        if policy.ensure_cloud_signer(actor) is not CertificateKind.officer:
            raise SigningNotAllowed("Decisions are signed by an officer of the deciding body.")
        now = self.clock()
        with self.db.uow() as uow:
            stepup.use_code(uow, self.sealer(), actor.account_id, totp, now)
            row = self._active_cloud_key(uow.session, actor.account_id, now)
            if row is None or row.key_label is None:
                raise CloudKeyNotFound("You have no valid cloud key: POST /api/v1/pki/cloud-keys creates one.")
            serial = row.serial
            uow.commit()  # the spent code
        log.info("decision signing key unlocked", serial=serial, account_id=actor.account_id)

        def load(session: Session) -> PlatformKey:
            stored = self._row(session, serial)
            assert stored.key_label is not None
            certificate = x509.load_der_x509_certificate(stored.der)
            issuing = self.hierarchy(session).issuer_of(certificate)
            return PlatformKey(certificate, (certificate, issuing), StoreKey(self._keys(), session, stored.key_label))

        return load

    # ------------------------------------------------------------------ verification

    def verification_context(self, session: Session) -> VerificationContext:
        """Trust from the cached hierarchy and status from ``session``: one query per verification (the
        module-level :func:`load_verification_context` also re-reads the CA certificates)."""
        return VerificationContext(self.hierarchy(session).trust, DatabaseStatusSource(session))

    def verify_document(self, data: bytes, *, at: dt.datetime | None = None) -> VerificationResult:
        """Verify a signed file (JWS now; PDF once its verifier is registered) against the platform's CA."""
        with self.db.reading() as session:
            return verify_file(data, load_verification_context(session), at or self.clock())


# Verifiers by format. "jws" is built in; the PAdES module registers "pdf" (``DOCUMENT_VERIFIERS["pdf"] = …``),
# and then ``POST /api/v1/verify``, ``shaffof verify`` (online and offline) and ``Pki.verify_document`` accept PDFs.
DOCUMENT_VERIFIERS: dict[str, DocumentVerifier] = {"jws": _verify_jws_document}


def verify_file(data: bytes, context: VerificationContext, at: dt.datetime) -> VerificationResult:
    """Detect the format by content and run its verifier."""
    kind = detect_format(data)
    if kind is None:
        return VerificationFailure(
            FailureReason.unsupported_format, "The file is neither a JWS (compact or JSON) nor a PDF.", format="unknown"
        )
    verifier = DOCUMENT_VERIFIERS.get(kind)
    if verifier is None:
        return VerificationFailure(
            FailureReason.unsupported_format, f"Verification of {kind.upper()} files is not available yet.", format=kind
        )
    return verifier(data, context, at)


def load_verification_context(session: Session) -> VerificationContext:
    """Trust in every root and issuing CA the platform has had (rotations included; a revoked CA is checked
    against the signature's trusted time by the verifier) and its register's status."""
    rows = session.execute(
        sa.select(IssuedCertificate.der).where(
            IssuedCertificate.kind.in_([CertificateKind.root_ca, CertificateKind.issuing_ca])
        )
    ).scalars()
    return VerificationContext(TrustAnchors.of(list(rows)), DatabaseStatusSource(session))


def verify_submission_jws(
    session_or_context: Session | VerificationContext,
    token: str | bytes,
    expected_pinfl: str,
    at: dt.datetime,
    *,
    expected_payload: bytes | None = None,
    max_age: dt.timedelta = DEFAULT_MAX_SIGNATURE_AGE,
) -> VerificationResult:
    """Verify a citizen's signed submission received at ``at`` (the platform's clock, trusted).

    Checks the ES256 signature, the chain to the platform CA, the certificate's validity at ``at`` and at the
    claimed signing time (which must be at most ``max_age`` old and not in the future), its revocation status
    (required: a certificate the register does not know is refused), key usage nonRepudiation +
    digitalSignature with a citizen policy, that its serialNumber is ``PNOUZ-<expected_pinfl>``, and — when
    ``expected_payload`` is given — that the signed bytes are exactly those (the RFC 8785 canonical JSON of the
    submission). Returns :class:`VerificationSuccess` or a falsy :class:`VerificationFailure` with the reason.

    Pass the submission transaction's session (status and trust are read in it) or a prepared
    :class:`VerificationContext` (tests, benchmarks, bulk verification).
    """
    context = (
        load_verification_context(session_or_context) if isinstance(session_or_context, Session) else session_or_context
    )
    policy_ = SignaturePolicy(
        require_revocation_check=True,
        signer_kinds=frozenset({CertificateKind.citizen}),
        expected_pinfl=expected_pinfl,
        expected_payload=expected_payload,
        max_age=max_age,
    )
    return verify_jws(token, trust=context.trust, status=context.status, at=at, policy=policy_)


def verification_report(result: VerificationResult) -> VerificationReport:
    """The one verdict, for people (``/verify``, ``shaffof verify``) and for the API."""
    signer = result.signer
    signer_public = (
        SignerPublic(
            name=signer.name,
            kind=signer.kind,
            pinfl=signer.pinfl,
            organization=signer.organization,
            agency=signer.agency,
            certificate_serial=signer.certificate_serial,
        )
        if signer
        else None
    )
    if isinstance(result, VerificationSuccess):
        who = result.signer.name + (
            f" (PINFL {result.signer.pinfl})"
            if result.signer.pinfl
            else f" ({result.signer.organization})"
            if result.signer.organization
            else ""
        )
        when = f"signed {result.signing_time:%Y-%m-%d %H:%M:%S} UTC"
        if result.timestamp:
            when += f", timestamped {result.timestamp:%Y-%m-%d %H:%M:%S} UTC"
        status = {
            "good": "the certificate is valid",
            "unchecked": "revocation not checked (no CRL or OCSP answer available)",
            "revoked": f"the certificate was revoked later, at {result.revoked_at:%Y-%m-%d %H:%M:%S} UTC"
            if result.revoked_at
            else "the certificate was revoked later",
            "expired": "the certificate has expired since",
        }.get(result.certificate_status.value, result.certificate_status.value)
        return VerificationReport(
            verdict="valid",
            summary=f"Valid signature by {who}, {when}; {status}.",
            format=result.format,
            signer=signer_public,
            signing_time=result.signing_time,
            timestamp=result.timestamp,
            certificate_status=result.certificate_status,
            revoked_at=result.revoked_at,
            integrity="intact",
        )
    integrity: Literal["intact", "altered", "not checked"] = (
        "not checked" if result.integrity is None else "intact" if result.integrity else "altered"
    )
    return VerificationReport(
        verdict="invalid",
        summary=f"Not a valid signature: {result.detail}",
        format=result.format,
        reason=result.reason,
        detail=result.detail,
        signer=signer_public,
        signing_time=result.signing_time,
        timestamp=result.timestamp,
        certificate_status=result.certificate_status,
        revoked_at=result.revoked_at,
        integrity=integrity,
    )


@dataclass(frozen=True)
class PkiSubmissionSignatures:
    """The PKI's side of :class:`shaffof.cases.interfaces.SubmissionSignatures`."""

    pki: Pki

    def verify(
        self, session: Session, token: str, expected_pinfl: str, at: dt.datetime, payload: bytes
    ) -> SignatureCheck:
        result = verify_submission_jws(
            self.pki.verification_context(session), token, expected_pinfl, at, expected_payload=payload
        )
        if not result:
            return SignatureCheck(False, result.reason.value, result.detail)
        return SignatureCheck(
            True,
            "",
            "",
            signer=result.signer.name,
            certificate_serial=result.signer.certificate_serial,
            signing_time=result.signing_time,
        )

    def timestamp(self, session: Session, token: str) -> tuple[str, dt.datetime]:
        return self.pki.timestamp_jws_in(session, token)


DOCUMENT_VERIFIERS["pdf"] = verify_pdf  # PAdES, pki/pdf_verify.py
