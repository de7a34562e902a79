"""Official names of bodies can be longer than X.509 allows; certificate names keep within the bound."""

from __future__ import annotations

from cryptography.x509.oid import NameOID

from shaffof.pki.authority import NAME_UPPER_BOUND, name

LONG = "Oʻzbekiston Respublikasi Qurilish va uy-joy kommunal xoʻjaligi vazirligi huzuridagi agentlik"


def test_a_long_name_is_cut_within_the_bound_and_marked() -> None:
    subject = name(LONG, organization=LONG, unit="QURILISH")
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
        value = str(subject.get_attributes_for_oid(oid)[0].value)
        assert len(value.encode()) <= NAME_UPPER_BOUND
        assert value.endswith("…")
        assert LONG.startswith(value[:-1].rstrip())


def test_a_short_name_is_kept_as_it_is() -> None:
    subject = name("Yunusobod tumani hokimligi", organization="Yunusobod tumani hokimligi")
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Yunusobod tumani hokimligi"
