"""The person's own data pages without JavaScript: who accessed my data (paging, filter, the notices of reads
outside my cases, destroyed data), consents (give, withdraw, the signed receipt), the export (JSON and PDF)
and a rectification request — on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import subprocess
from html import unescape
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient
from pypdf import PdfReader

from shaffof.privacy import grounds, receipts
from shaffof.privacy.models import AccessChannel, AccessRecord, Consent, LegalGround
from shaffof.privacy.service import Access, record_access
from tests.factories import World, token
from tests.integration import registry_data
from tests.integration.portal.pages import post_form, sign_in

REASON = "Checking the address named in a neighbour's complaint"


def _records(world: World, pinfl: str, count: int) -> None:
    """``count`` reads of the person's data by an officer on cases, one minute apart (oldest first)."""
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    with world.platform.db.uow() as uow:
        for index in range(count):
            record_access(
                uow.session,
                Access(
                    subject_pinfl=pinfl,
                    channel=AccessChannel.officer,
                    categories=("case_form",),
                    purpose=f"consideration of case TOSHHOK-2026-{index:06d}",
                    legal_ground=LegalGround.legal_obligation,
                    citation=grounds.CASE_CONSIDERATION,
                    actor=world.actors["toshhok.officer"],
                    case_number=f"TOSHHOK-2026-{index:06d}",
                ),
                at=start + dt.timedelta(minutes=index),
            )
        uow.commit()


def test_who_accessed_my_data_pages_filters_and_shows_reads_outside_my_cases(client: TestClient, world: World) -> None:
    people = registry_data.load(world)
    assert client.get("/my-data", follow_redirects=False).headers["location"] == "/login?next=%2Fmy-data"
    _records(world, people["alice"], 30)
    outside = client.post(
        "/api/v1/registries/population/address/lookup",
        json={"subject": people["alice"], "purpose": "appeal-handling", "categories": ["address"], "reason": REASON},
        headers=token(client, "toshhok.officer"),
    )
    assert outside.status_code == 200, outside.text
    sign_in(client, "alice")
    for lang, heading, notice in (
        ("uz", "Ma'lumotlarimni kim ko'rdi", "Murojaatlaringizdan tashqari ko'rilgan"),
        ("ru", "Кто обращался к моим данным", "Просмотрено вне ваших обращений"),
        ("en", "Who accessed my data", "Read outside your cases"),
    ):
        page = client.get("/my-data", params={"lang": lang})
        assert page.status_code == 200
        text = unescape(page.text)
        assert f'<html lang="{lang}">' in text and f"<h1>{heading}</h1>" in text
        assert notice in text and REASON in text
    first = client.get("/my-data", params={"lang": "en"}).text
    assert first.count("<td>TOSHHOK-2026-") == 24  # 25 a page: the outside read and the 24 newest case reads
    assert "TOSHHOK-2026-000029" in first and "TOSHHOK-2026-000005" not in first
    older = re.search(r'href="([^"]+)" rel="next"', first)
    assert older is not None and "page=2" in older.group(1)
    second = client.get(older.group(1).replace("&amp;", "&")).text
    assert "TOSHHOK-2026-000005" in second and "TOSHHOK-2026-000000" in second and 'rel="next"' not in second
    assert 'rel="prev"' in second

    only_outside = unescape(client.get("/my-data", params={"show": "outside", "lang": "en"}).text)
    assert "TOSHHOK-2026-" not in only_outside and REASON in only_outside and "appeal-handling" in only_outside
    assert "TOSHHOK-2026-" in client.get("/my-data", params={"agency": "TOSHHOK"}).text
    assert "TOSHHOK-2026-" not in client.get("/my-data", params={"agency": "ADLIYA"}).text
    unknown = client.get("/my-data", params={"agency": "NOBODY", "lang": "en"})
    assert unknown.status_code == 422
    assert 'href="#agency"' in unknown.text and 'aria-invalid="true"' in unknown.text
    assert 'aria-describedby="agency-error"' in unknown.text


def test_a_person_gives_withdraws_and_keeps_the_signed_receipt_of_a_consent(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    registry_data.load(world)
    world.platform.pki.initialise()
    sign_in(client, "alice")
    page = client.get("/my-data/consents", params={"lang": "en"})
    assert page.status_code == 200 and "You have given no consents." in page.text

    bad = post_form(
        client, page, "/my-data/consents", {"recipient": "PENSIYA", "purpose": "pension-statement", "days": "0"}
    )
    assert bad.status_code == 422
    assert 'href="#categories"' in bad.text and 'href="#days"' in bad.text
    assert "Choose at least one kind of data." in bad.text and "Give the term in days, from 1 to 3650." in bad.text
    nobody = post_form(
        client,
        page,
        "/my-data/consents",
        {"recipient": "NOBODY", "purpose": "pension-statement", "categories": "identity", "days": "30"},
    )
    assert nobody.status_code == 422 and 'href="#recipient"' in nobody.text
    forged = client.post(
        "/my-data/consents",
        data={"recipient": "PENSIYA", "purpose": "pension-statement", "categories": "identity", "days": "30"},
    )
    assert forged.status_code == 403  # no CSRF token: nothing done
    with world.platform.db.reading() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Consent)) == 0

    given = client.post(
        "/my-data/consents",
        data={
            "csrf_token": re.search(r'name="csrf_token" value="([^"]*)"', page.text).group(1),  # type: ignore[union-attr]
            "recipient": "PENSIYA",
            "purpose": "pension-statement",
            "categories": ["identity", "documents"],
            "days": "30",
        },
        follow_redirects=False,
    )
    assert given.status_code == 303 and given.headers["location"] == "/my-data/consents"
    listed = client.get("/my-data/consents", params={"lang": "en"})
    assert "pension-statement" in listed.text and "in force" in listed.text
    consent_id = re.search(r"/my-data/consents/([0-9a-f-]{36})/receipt", listed.text).group(1)  # type: ignore[union-attr]

    receipt = client.get(f"/my-data/consents/{consent_id}/receipt")
    assert receipt.status_code == 200 and "attachment" in receipt.headers["content-disposition"]
    kept = receipt.json()
    assert kept["consent"]["purpose"] == "pension-statement" and kept["consent"]["recipient"] == "PENSIYA"
    assert receipts.digest_of(kept["consent"]).hex() == kept["sha256"]  # the receipt is the consent it names
    stamp = receipts.verify(
        world.platform.pki, base64.b64decode(kept["timestamp_token"]), bytes.fromhex(kept["sha256"])
    )
    assert stamp.time <= dt.datetime.now(dt.UTC)
    # … and OpenSSL, following the receipt's own instructions, agrees that the platform TSA signed it.
    (tmp_path / "ca.pem").write_bytes(client.get("/pki/ca.pem").content)
    (tmp_path / "chain.pem").write_bytes(client.get("/pki/chain.pem").content)
    (tmp_path / "consent.tst").write_bytes(base64.b64decode(kept["timestamp_token"]))
    checked = subprocess.run(
        ["openssl", "ts", "-verify", "-token_in", "-digest", kept["sha256"], "-in", str(tmp_path / "consent.tst"),
         "-CAfile", str(tmp_path / "ca.pem"), "-untrusted", str(tmp_path / "chain.pem")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stderr

    withdrawn = post_form(client, listed, f"/my-data/consents/{consent_id}/withdraw", {})
    assert withdrawn.status_code == 303
    after = client.get("/my-data/consents", params={"lang": "ru"})
    assert "отозвано" in after.text and f"/my-data/consents/{consent_id}/withdraw" not in after.text
    assert client.get(f"/my-data/consents/{consent_id}/receipt").json()["withdrawal_timestamp_token"]
    # Someone else's consent is not theirs to read or withdraw.
    sign_in(client, "bob")
    assert client.get(f"/my-data/consents/{consent_id}/receipt").status_code == 404


def test_a_person_downloads_their_data_as_json_and_pdf_and_the_export_is_recorded(
    client: TestClient, world: World
) -> None:
    people = registry_data.load(world)
    sign_in(client, "alice")
    page = client.get("/my-data/export", params={"lang": "en"})
    assert page.status_code == 200 and 'href="/my-data/export.json"' in page.text
    exported = client.get("/my-data/export.json")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    data = exported.json()
    assert data["pinfl"] == people["alice"] and data["registries"]["population"]["identity"]["last_name"] == "Karimova"
    pdf = client.get("/my-data/export.pdf", params={"lang": "ru"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert people["alice"] in text and "Karimova" in text and "Что хранится в реестрах" in text
    with world.platform.db.reading() as session:
        channels = session.scalars(
            sa.select(AccessRecord.channel).where(AccessRecord.subject_pinfl == people["alice"])
        ).all()
    assert channels and set(channels) == {AccessChannel.export}  # both downloads read through the mediator


def test_a_rectification_request_from_the_page_becomes_a_case_and_bad_input_is_shown_by_field(
    client: TestClient, world: World
) -> None:
    registry_data.load(world)
    sign_in(client, "alice")
    page = client.get("/my-data/rectification", params={"lang": "en"})
    assert page.status_code == 200
    bad = post_form(client, page, "/my-data/rectification", {"registry": "", "field": "x", "correct_value": "14"})
    assert bad.status_code == 422
    for field in ("registry", "field", "reason"):
        assert f'href="#{field}"' in bad.text and f'id="{field}-error"' in bad.text
    assert 'value="14"' in bad.text  # what was typed stays
    sent = post_form(
        client,
        page,
        "/my-data/rectification",
        {
            "registry": "population",
            "field": "address.house",
            "current_value": "12",
            "correct_value": "14",
            "reason": "The house was renumbered; the hokimiyat's certificate is attached.",
        },
    )
    assert sent.status_code == 303 and re.fullmatch(r"/cases/[A-Z]+-\d{4}-\d{6}/receipt", sent.headers["location"])
    receipt = client.get(sent.headers["location"])
    assert receipt.status_code == 200


def test_the_pages_are_the_data_subjects_own(client: TestClient, world: World) -> None:
    sign_in(client, "toshhok.officer")
    for path in ("/my-data", "/my-data/consents", "/my-data/export.json"):
        assert client.get(path).status_code == 403, path
    assert json.loads(client.get("/api/v1/me/consents", headers=token(client, "alice")).text) == []
