"""Cloud signature (ZRU-793): a key kept sealed by the platform, usable only with a fresh TOTP code per act."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from shaffof.canonical_json import canonicalize
from shaffof.pki.models import IssuedCertificate, StoredKey, TotpFactor
from shaffof.pki.service import Pki, verify_submission_jws
from shaffof.pki.signing import jws
from shaffof.pki.verify import VerificationSuccess
from tests.factories import World, token

PAYLOAD = {"service": "general-ariza", "agency": "YUNUSHOK", "form": {"subject": "Bulut", "text": "Bulutli imzo"}}


class Clock:
    """The app's PKI clock, moved on by whole TOTP steps so that every act can have a fresh code."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def step(self, seconds: int = 30) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(client: TestClient, world: World) -> Clock:
    world.platform.pki.initialise()
    pki: Pki = client.app.state.platform.pki  # type: ignore[attr-defined]
    clock = Clock()
    pki.clock = clock
    return clock


def enrol(client: TestClient, headers: dict[str, str], clock: Clock) -> pyotp.TOTP:
    started = client.post("/api/v1/auth/totp/enrol", headers=headers)
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/") and "issuer=Shaffof" in body["otpauth_uri"]
    totp = pyotp.TOTP(body["secret"])
    confirmed = client.post("/api/v1/auth/totp/confirm", json={"code": totp.at(clock.now)}, headers=headers)
    assert confirmed.status_code == 204, confirmed.text
    clock.step()
    return totp


def test_a_citizen_signs_in_the_cloud_with_a_fresh_code_each_time(
    client: TestClient, world: World, clock: Clock
) -> None:
    alice = token(client, "alice")
    totp = enrol(client, alice, clock)
    created = client.post("/api/v1/pki/cloud-keys", json={"totp": totp.at(clock.now)}, headers=alice)
    assert created.status_code == 201, created.text
    certificate = created.json()
    assert certificate["custody"] == "platform" and certificate["kind"] == "citizen"
    assert f"PNOUZ-{world.pinfls['alice']}" in certificate["subject"]
    clock.step()

    code = totp.at(clock.now)
    signed = client.post("/api/v1/pki/cloud-sign", json={"payload": PAYLOAD, "totp": code}, headers=alice)
    assert signed.status_code == 200, signed.text
    result = signed.json()
    assert result["certificate_serial"] == certificate["serial"]
    with world.platform.db.reading() as session:
        verified = verify_submission_jws(
            session, result["jws"], world.pinfls["alice"], clock.now, expected_payload=canonicalize(PAYLOAD)
        )
    assert isinstance(verified, VerificationSuccess), verified

    # The same code again — even within its 30 seconds — is refused: each act needs its own.
    again = client.post("/api/v1/pki/cloud-sign", json={"payload": PAYLOAD, "totp": code}, headers=alice)
    assert again.status_code == 401 and again.json()["type"] == "/problems/step-up-required"
    assert "used already" in again.json()["detail"]

    clock.step()
    stamped = client.post(
        "/api/v1/pki/cloud-sign",
        json={"payload": PAYLOAD, "totp": totp.at(clock.now), "timestamp": True},
        headers=alice,
    )
    assert stamped.status_code == 200 and jws.parse(stamped.json()["jws"]).timestamp_tokens

    # Only one active cloud key at a time.
    clock.step()
    second = client.post("/api/v1/pki/cloud-keys", json={"totp": totp.at(clock.now)}, headers=alice)
    assert second.status_code == 409 and certificate["serial"] in second.json()["detail"]


def test_the_cloud_key_is_sealed_and_erased_on_revocation(client: TestClient, world: World, clock: Clock) -> None:
    alice = token(client, "alice")
    totp = enrol(client, alice, clock)
    serial = client.post("/api/v1/pki/cloud-keys", json={"totp": totp.at(clock.now)}, headers=alice).json()["serial"]
    with world.platform.db.reading() as session:
        label = session.scalar(sa.select(IssuedCertificate.key_label).where(IssuedCertificate.serial == serial))
        sealed = session.scalar(sa.select(StoredKey.sealed_private_key).where(StoredKey.label == label))
        assert label and label.startswith("cloud/") and sealed is not None and b"PRIVATE KEY" not in sealed
    assert client.post(f"/api/v1/pki/certificates/{serial}/revoke", headers=alice).status_code == 200
    with world.platform.db.reading() as session:
        assert session.get(StoredKey, label) is None
    clock.step()
    gone = client.post("/api/v1/pki/cloud-sign", json={"payload": PAYLOAD, "totp": totp.at(clock.now)}, headers=alice)
    assert gone.status_code == 404 and gone.json()["type"] == "/problems/cloud-key-not-found"


def test_wrong_codes_are_counted_and_lock_the_factor(client: TestClient, world: World, clock: Clock) -> None:
    alice = token(client, "alice")
    totp = enrol(client, alice, clock)
    client.post("/api/v1/pki/cloud-keys", json={"totp": totp.at(clock.now)}, headers=alice)
    clock.step()
    wrong = f"{(int(totp.at(clock.now)) + 1) % 1_000_000:06d}"
    for _ in range(5):
        refused = client.post("/api/v1/pki/cloud-sign", json={"payload": PAYLOAD, "totp": wrong}, headers=alice)
        assert refused.status_code == 401
    locked = client.post("/api/v1/pki/cloud-sign", json={"payload": PAYLOAD, "totp": totp.at(clock.now)}, headers=alice)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    clock.step(16 * 60)
    unlocked = client.post(
        "/api/v1/pki/cloud-sign", json={"payload": PAYLOAD, "totp": totp.at(clock.now)}, headers=alice
    )
    assert unlocked.status_code == 200, unlocked.text


def test_step_up_is_required_and_enrolment_is_guarded(client: TestClient, world: World, clock: Clock) -> None:
    alice = token(client, "alice")
    not_enrolled = client.post("/api/v1/pki/cloud-keys", json={"totp": "123456"}, headers=alice)
    assert not_enrolled.status_code == 409 and not_enrolled.json()["type"] == "/problems/totp-not-enrolled"
    assert client.post("/api/v1/pki/cloud-keys", json={"totp": "12345"}, headers=alice).status_code == 422
    assert client.post("/api/v1/pki/cloud-keys", json={}, headers=alice).status_code == 422
    totp = enrol(client, alice, clock)
    # A confirmed factor cannot be replaced by whoever holds the session.
    again = client.post("/api/v1/auth/totp/enrol", headers=alice)
    assert again.status_code == 409 and again.json()["type"] == "/problems/totp-already-enrolled"
    no_key = client.post("/api/v1/pki/cloud-sign", json={"payload": PAYLOAD, "totp": totp.at(clock.now)}, headers=alice)
    assert no_key.status_code == 404
    auditor = token(client, "auditor")  # signs nothing: no certificate of any kind
    assert client.post("/api/v1/pki/cloud-keys", json={"totp": "123456"}, headers=auditor).status_code == 403
    with world.platform.db.reading() as session:
        factor = session.get(TotpFactor, world.actors["alice"].account_id)
        assert factor is not None and factor.confirmed_at is not None
        assert totp.secret.encode() not in factor.sealed_secret


def test_a_payload_that_has_no_canonical_form_is_refused(client: TestClient, world: World, clock: Clock) -> None:
    alice = token(client, "alice")
    totp = enrol(client, alice, clock)
    client.post("/api/v1/pki/cloud-keys", json={"totp": totp.at(clock.now)}, headers=alice)
    clock.step()
    refused = client.post(
        "/api/v1/pki/cloud-sign", json={"payload": {"n": 2**60 + 1}, "totp": totp.at(clock.now)}, headers=alice
    )
    assert refused.status_code == 422 and "RFC 8785" in refused.json()["detail"]
