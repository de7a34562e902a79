"""ZRU-793: validity at most 24 months, at most two extensions; PINFL serial numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from shaffof.pki import profiles

START = dt.datetime(2026, 1, 31, 9, 30, 15, 123456, tzinfo=dt.UTC)


@pytest.mark.parametrize("months", [1, 12, 24])
def test_validity_ends_one_second_before_the_same_instant_months_later(months: int) -> None:
    not_before, not_after = profiles.signer_validity(START, months)
    assert not_before == START.replace(microsecond=0)
    assert not_after == profiles.add_months(not_before, months) - dt.timedelta(seconds=1)
    assert not_after < profiles.add_months(not_before, profiles.MAX_VALIDITY_MONTHS)


@pytest.mark.parametrize("months", [0, 25, 36, -1])
def test_validity_beyond_24_months_is_refused(months: int) -> None:
    with pytest.raises(ValueError, match="ZRU-793"):
        profiles.signer_validity(START, months)


def test_months_are_calendar_months_clamped_to_the_month_end() -> None:
    assert profiles.add_months(START, 1).date() == dt.date(2026, 2, 28)
    assert profiles.add_months(START, 13).date() == dt.date(2027, 2, 28)
    assert profiles.add_months(dt.datetime(2027, 2, 28, tzinfo=dt.UTC), 12).date() == dt.date(2028, 2, 28)
    assert profiles.add_months(START, 24).date() == dt.date(2028, 1, 31)


def test_two_extensions_are_allowed_and_the_third_is_refused() -> None:
    assert profiles.renewal_refusal(0) is None
    assert profiles.renewal_refusal(1) is None
    refusal = profiles.renewal_refusal(2)
    assert refusal is not None and "ZRU-793" in refusal and "at most 2" in refusal


def test_the_pinfl_is_read_only_from_a_well_formed_serial_number() -> None:
    def subject(serial: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.SERIAL_NUMBER, serial)])

    assert profiles.pinfl_of(subject("PNOUZ-41403902610172")) == "41403902610172"
    for bad in ("41403902610172", "PNOKZ-41403902610172", "PNOUZ-4140390261017", "PNOUZ-4140390261017x", "PNOUZ-"):
        assert profiles.pinfl_of(subject(bad)) is None
    assert profiles.pinfl_serial_number("41403902610172") == "PNOUZ-41403902610172"


def test_policy_oids_sit_under_the_uuid_arc_and_map_to_kinds() -> None:
    for oid in (*profiles.SIGNING_POLICIES, profiles.TSA_POLICY, profiles.POLICY_INFRASTRUCTURE):
        assert oid.dotted_string.startswith("2.25.136476752450515404870295302887322128299.")
    assert profiles.kind_of_policy(profiles.POLICY_CITIZEN_CLOUD_KEY) is profiles.CertificateKind.citizen
    assert profiles.kind_of_policy(profiles.POLICY_ESEAL) is profiles.CertificateKind.eseal
    assert profiles.kind_of_policy(profiles.POLICY_INFRASTRUCTURE) is None
