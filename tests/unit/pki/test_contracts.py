"""Every implementation against its interface: key stores (on SQLite and PostgreSQL) and revocation sources."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session

from shaffof.db.engine import Database
from shaffof.pki import authority
from shaffof.pki._internal.sealing import SealBroken, Sealer
from shaffof.pki.errors import KeyExists, KeyNotFound
from shaffof.pki.interfaces import CertificateStatusSource, KeyStore, RevocationState
from shaffof.pki.keystore import DatabaseKeyStore
from shaffof.pki.models import IssuanceStatus, IssuedCertificate, RevocationReason, StoredKey
from shaffof.pki.profiles import CertificateKind, KeyCustody
from shaffof.pki.status import CrlStatusSource, DatabaseStatusSource, FixedStatusSource, serial_text
from tests.unit.pki.conftest import MemoryCa

PASSPHRASE = "a test passphrase that is long enough for production 0123"


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    with database.uow() as uow:
        yield uow.session


def test_the_database_key_store_fulfils_the_contract(session: Session) -> None:
    store: KeyStore = DatabaseKeyStore(PASSPHRASE)
    assert isinstance(store, KeyStore)
    public_key = store.generate(session, "test/one")
    assert isinstance(public_key.curve, ec.SECP256R1)
    assert store.public_key(session, "test/one").public_numbers() == public_key.public_numbers()
    signature = store.sign(session, "test/one", b"data")
    public_key.verify(signature, b"data", ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        public_key.verify(signature, b"other data", ec.ECDSA(hashes.SHA256()))
    with pytest.raises(KeyExists):
        store.generate(session, "test/one")
    for operation in (lambda: store.public_key(session, "test/none"), lambda: store.sign(session, "test/none", b"x")):
        with pytest.raises(KeyNotFound):
            operation()
    store.destroy(session, "cloud/1/x")  # unknown labels are ignored
    cloud = store.generate(session, "cloud/1/y")
    store.destroy(session, "cloud/1/y")
    with pytest.raises(KeyNotFound):
        store.sign(session, "cloud/1/y", b"x")
    assert cloud is not None


def test_keys_are_sealed_at_rest_and_open_only_with_the_passphrase(session: Session) -> None:
    DatabaseKeyStore(PASSPHRASE).generate(session, "test/sealed")
    sealed = session.scalar(sa.select(StoredKey.sealed_private_key).where(StoredKey.label == "test/sealed"))
    assert sealed is not None and sealed.startswith(b"S1") and b"PRIVATE" not in sealed
    with pytest.raises(SealBroken, match="SHAFFOF_PKI_PASSPHRASE"):
        DatabaseKeyStore("another passphrase entirely, also long enough").sign(session, "test/sealed", b"x")


def test_a_sealed_item_is_bound_to_its_label() -> None:
    sealer = Sealer(PASSPHRASE)
    sealed = sealer.seal("totp/1", b"secret")
    assert sealer.open("totp/1", sealed) == b"secret"
    with pytest.raises(SealBroken):
        sealer.open("totp/2", sealed)
    with pytest.raises(SealBroken, match="unknown format"):
        sealer.open("totp/1", b"S0" + sealed[2:])
    with pytest.raises(ValueError, match="empty passphrase"):
        Sealer("")


def _register(session: Session, ca: MemoryCa, certificate: x509.Certificate, **columns: object) -> None:
    from cryptography.hazmat.primitives import serialization

    session.add(
        IssuedCertificate(
            serial=serial_text(certificate.serial_number),
            issuer_serial=columns.pop("issuer_serial", None),
            kind=columns.pop("kind", CertificateKind.citizen),
            subject=certificate.subject.rfc4514_string(),
            custody=KeyCustody.client,
            public_key_sha256="0" * 64,
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            der=certificate.public_bytes(serialization.Encoding.DER),
            **columns,
        )
    )
    session.flush()


SourceFactory = Callable[[Session, MemoryCa, x509.Certificate, x509.Certificate, dt.datetime], CertificateStatusSource]


def _database_source(
    session: Session, ca: MemoryCa, good: x509.Certificate, revoked: x509.Certificate, at: dt.datetime
) -> CertificateStatusSource:
    _register(session, ca, ca.issuing, kind=CertificateKind.issuing_ca)
    issuing = serial_text(ca.issuing.serial_number)
    _register(session, ca, good, issuer_serial=issuing)
    _register(
        session,
        ca,
        revoked,
        issuer_serial=issuing,
        status=IssuanceStatus.revoked,
        revoked_at=at,
        revocation_reason=RevocationReason.key_compromise,
    )
    return DatabaseStatusSource(session)


def _crl_source(
    session: Session, ca: MemoryCa, good: x509.Certificate, revoked: x509.Certificate, at: dt.datetime
) -> CertificateStatusSource:
    entry = authority.RevokedEntry(revoked.serial_number, at, x509.ReasonFlags.key_compromise)
    crl = authority.revocation_list(ca.issuer, [entry], number=1, this_update=at, next_update=at + dt.timedelta(days=7))
    return CrlStatusSource([crl])


def _fixed_source(
    session: Session, ca: MemoryCa, good: x509.Certificate, revoked: x509.Certificate, at: dt.datetime
) -> CertificateStatusSource:
    return FixedStatusSource({(ca.issuing.serial_number, revoked.serial_number): at})


@pytest.mark.parametrize("make", [_database_source, _crl_source, _fixed_source], ids=["database", "crl", "fixed"])
def test_every_status_source_tells_good_from_revoked_and_knows_its_issuer(
    session: Session, ca: MemoryCa, foreign_ca: MemoryCa, make: SourceFactory
) -> None:
    good, revoked = ca.citizen().certificate, ca.citizen().certificate
    at = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
    source = make(session, ca, good, revoked, at)
    assert source.status(ca.issuing, good.serial_number) is not None
    assert source.status(ca.issuing, good.serial_number).state is RevocationState.good  # type: ignore[union-attr]
    answer = source.status(ca.issuing, revoked.serial_number)
    assert answer is not None and answer.state is RevocationState.revoked and answer.revoked_at == at
    if make is not _fixed_source:  # the fixed table is a test double: it holds no reasons and knows no issuers
        assert answer.reason == "key_compromise"
        # Never "good" for another issuer — not even one with the same name (the CRL's signature decides).
        foreign = source.status(foreign_ca.issuing, good.serial_number)
        assert foreign is None or foreign.state is RevocationState.unknown


def test_the_database_source_says_unknown_for_a_serial_its_ca_never_issued(session: Session, ca: MemoryCa) -> None:
    source = _database_source(session, ca, ca.citizen().certificate, ca.citizen().certificate, ca.now)
    answer = source.status(ca.issuing, 123456789)
    assert answer is not None and answer.state is RevocationState.unknown
