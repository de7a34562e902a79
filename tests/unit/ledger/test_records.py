"""The leaf data of a case event: RFC 8785 canonical JSON, the same from objects and from rows."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

import pytest

from shaffof.canonical_json import canonicalize
from shaffof.ledger.records import canonical_bytes, case_event_record, domain_record, instant

CASE = uuid.UUID("0b6f3c57-6d2a-4f35-9a55-3f3b2c0e7a11")


def record(at: dt.datetime) -> dict[str, object]:
    return case_event_record(
        registration_number="YUNUSHOK-2026-000001",
        agency_id=7,
        case_id=CASE,
        seq=1,
        kind="submitted",
        at=at,
        actor_account_id=3,
        state_before=None,
        state_after="submitted",
        reason=None,
        data={"form_sha256": "ab" * 32, "documents": [{"sha256": "cd" * 32, "document_type": "passport"}]},
    )


def test_instants_are_utc_to_the_microsecond_whatever_the_zone() -> None:
    tashkent = dt.datetime(2026, 11, 24, 15, 0, 0, 5, tzinfo=zoneinfo.ZoneInfo("Asia/Tashkent"))
    assert instant(tashkent) == "2026-11-24T10:00:00.000005Z"
    assert instant(tashkent.astimezone(dt.UTC)) == instant(tashkent)


def test_the_leaf_data_is_the_canonical_json_of_the_record() -> None:
    at = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
    data = canonical_bytes(record(at))
    assert data == canonicalize(record(at))
    assert data.startswith(b'{"actor_account_id":3,"agency_id":7,"at":"2026-11-24T10:00:00.000000Z",')
    assert b'"type":"case_event","v":1}' in data
    # Any field that changes changes the bytes.
    later = canonical_bytes(record(at + dt.timedelta(microseconds=1)))
    assert later != data


def test_a_domain_record_carries_its_kind_and_id_and_cannot_override_them() -> None:
    record = domain_record("archive_tombstone", 7, {"sha256": "ab" * 32, "size": 3})
    assert canonical_bytes(record) == (
        b'{"id":7,"sha256":"' + b"ab" * 32 + b'","size":3,"type":"archive_tombstone","v":1}'
    )
    for key in ("type", "v", "id"):
        with pytest.raises(ValueError, match="cannot use the keys"):
            domain_record("archive_tombstone", 7, {key: "forged"})
