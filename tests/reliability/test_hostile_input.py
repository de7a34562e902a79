"""Hostile input (issue 11, part 2.5) through a live uvicorn on loopback, on SQLite and on PostgreSQL: oversized
bodies (413 before the body is read), deeply nested JSON, huge numbers, invalid UTF-8, a compressed bomb, path
traversal, polyglot and archive uploads, CR/LF in a download's file name — each a clear 4xx problem that names
the field, nothing stored (rows, blob files and ledger leaves counted before and after), and the server up
afterwards. HTML in every text field a citizen or officer types is shown escaped on the citizen's case page, the
officer's case page and the inbox."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from shaffof.archive.models import Blob
from shaffof.cases.models import Case, CaseEvent, IdempotencyKey, RegistrationCounter, Upload
from shaffof.cases.schemas import CaseSubmit, DocumentRef
from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.ledger.models import LedgerEntry
from shaffof.notify.models import Notification
from shaffof.pki.signing.jws import sign_submission
from shaffof.web.limits import request_ceiling
from tests.factories import APPEAL_FORM, JPEG, PASSWORD, PDF, World, token
from tests.integration.portal.pages import post_form, sign_in
from tests.integration.test_notify import free_port
from tests.integration.test_signed_submission import body, certify, signing_world
from tests.integration.test_signed_submission import sign as signed_body_token
from tests.reliability.test_crash_safety import Process, process_env, server_process, wait_ready

__all__ = ["signing_world"]  # the fixture, shared with the signed-submission tests
PROBLEM = "application/problem+json"
MAX_DOCUMENT = 64 * 1024  # the test settings' max_document_bytes
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@dataclass
class Live:
    base_url: str
    port: int
    server: Process
    token: str

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def stored(database: Database, data_dir: Path) -> dict[str, int]:
    """Everything a refused request must leave alone: rows of every table it could touch, and blob files."""
    with database.reading() as session:
        found = {
            model.__tablename__: session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
            for model in (Case, CaseEvent, Upload, Blob, IdempotencyKey, RegistrationCounter, LedgerEntry, Notification)
        }
    blobs = data_dir / "blobs"
    found["blob files"] = sum(1 for p in blobs.rglob("*") if p.is_file()) if blobs.exists() else 0
    return found


@pytest.fixture
def live(world: World, settings: Settings, database: Database, tmp_path: Path) -> Iterator[Live]:
    port = free_port()
    env = process_env(database, settings.data_dir, max_document_bytes=str(MAX_DOCUMENT))
    server = server_process(port, env, tmp_path / "server.log")
    server.start()
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_ready(base_url, server)
        signed_in = httpx.post(f"{base_url}/api/v1/auth/login", json={"login": "alice", "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        yield Live(base_url, port, server, signed_in.json()["access_token"])
    finally:
        server.stop()


def still_up(live: Live) -> None:
    assert live.server.process is not None and live.server.process.poll() is None, live.server.tail()
    assert httpx.get(f"{live.base_url}/healthz", timeout=5).status_code == 200


def raw_exchange(live: Live, head: bytes, body_chunks: Iterator[bytes] = iter(())) -> bytes:
    """Send a request head and (some of) a body over a plain socket, then read what the server answers —
    without finishing the body, to show the answer does not wait for it."""
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as connection:
        connection.sendall(head)
        for chunk in body_chunks:
            connection.sendall(chunk)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer) < answer.index(b"\r\n\r\n") + 40:
            piece = connection.recv(65536)
            if not piece:
                break
            answer += piece
        return answer


def test_an_oversized_body_is_refused_with_413_before_it_is_read(
    live: Live, database: Database, settings: Settings
) -> None:
    before = stored(database, settings.data_dir)
    ceiling = request_ceiling(MAX_DOCUMENT)
    # A declared length of 10 GB: answered at once, with not one byte of the body sent.
    head = (
        f"POST /api/v1/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {live.token}\r\n"
        f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {10 * 1024**3}\r\n\r\n"
    ).encode()
    answer = raw_exchange(live, head)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"application/problem+json" in answer and b"larger than the limit" in answer
    # A body without a length (chunked) is counted as it arrives: refused once past the ceiling, unfinished.
    head = (
        f"POST /api/v1/cases HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {live.token}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    chunk = b" " * 65536
    chunks = (b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(ceiling // len(chunk) + 2))
    answer = raw_exchange(live, head, chunks)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # Under the ceiling but over the document limit: the upload route's own check names the field.
    too_big = httpx.post(
        f"{live.base_url}/api/v1/uploads",
        files={"file": ("big.pdf", PDF + b"0" * MAX_DOCUMENT, "application/pdf")},
        headers=live.auth(),
    )
    assert too_big.status_code == 413 and too_big.json()["errors"] == [{"path": "file", "message": "too large"}]
    assert stored(database, settings.data_dir) == before
    still_up(live)


MALFORMED_BODIES: list[tuple[str, bytes, dict[str, str], int]] = [
        ("deeply nested JSON", b"[" * 200_000 + b"]" * 200_000, {}, 400),
        ("nested objects in the form", b'{"service":"appeal-to-hokimiyat","form":' + b'{"a":' * 5000 + b"1"
         + b"}" * 5001, {}, 400),
        ("an integer of 10,000 digits", b'{"service":"appeal-to-hokimiyat","form":{"house":' + b"9" * 10_000
         + b"}}", {}, 400),
        ("a number beyond double precision", b'{"service":"appeal-to-hokimiyat","agency":"YUNUSHOK","form":'
         + json.dumps({**APPEAL_FORM, "house": 0}).encode().replace(b"0}", b"1e400}") + b"}", {}, 422),
        ("invalid UTF-8", b'{"service":"appeal-to-hokimiyat","form":{"subject":"\xff\xfe\xc0\xaf"}}', {}, 400),
        ("a lone surrogate", b'{"service":"appeal-to-hokimiyat","agency":"YUNUSHOK","form":'
         + json.dumps({**APPEAL_FORM, "subject": "x"}).encode().replace(b'"x"', b'"\\ud800"') + b"}", {}, 422),
        ("a NUL character in a text field", b'{"service":"appeal-to-hokimiyat","agency":"YUNUSHOK","form":'
         + json.dumps({**APPEAL_FORM, "subject": "x"}).encode().replace(b'"x"', b'"a\\u0000b"') + b"}", {}, 422),
        ("a gzip bomb (50 MB of zeros)", gzip.compress(b"0" * 50 * 1024 * 1024), {"Content-Encoding": "gzip"}, 400),
]  # fmt: skip


def test_malformed_json_bodies_are_4xx_problems_and_store_nothing(
    live: Live, database: Database, settings: Settings
) -> None:
    before = stored(database, settings.data_dir)
    for name, content, headers, status in MALFORMED_BODIES:
        answer = httpx.post(
            f"{live.base_url}/api/v1/cases",
            content=content,
            headers={**live.auth(), "Content-Type": "application/json", **headers},
            timeout=30,
        )
        assert answer.status_code == status, (name, answer.status_code, answer.text[:300])
        assert answer.headers["content-type"] == PROBLEM, name
        problem = answer.json()
        assert problem["status"] == status and problem["detail"], name
        if status == 422:
            assert problem["errors"] and all(e["path"].startswith("form") for e in problem["errors"]), (name, problem)
        assert stored(database, settings.data_dir) == before, name
        still_up(live)


def test_the_nul_character_is_refused_wherever_text_arrives_naming_the_field(
    live: Live, database: Database, settings: Settings
) -> None:
    """PostgreSQL cannot store U+0000 in text (the fuzzer's 500 on PostgreSQL); SQLite would keep it silently. Both
    answer 422 with the field, from the query string, the path, a JSON body and a URL-encoded form."""
    before = stored(database, settings.data_dir)
    answers = {
        "query/q": httpx.get(f"{live.base_url}/api/v1/services?category=x&q=road%00s", timeout=30),
        "path": httpx.get(f"{live.base_url}/api/v1/cases/TOSHHOK-2026-%00", headers=live.auth(), timeout=30),
        "login": httpx.post(
            f"{live.base_url}/login",
            content=b"login=ali%00ce&password=x",
            timeout=30,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        "form/text": httpx.post(
            f"{live.base_url}/api/v1/cases",
            json={"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": {**APPEAL_FORM, "text": "a\x00b"}},
            headers=live.auth(),
            timeout=30,
        ),
    }
    for field, answer in answers.items():
        assert answer.status_code == 422, (field, answer.status_code, answer.text[:300])
        assert answer.headers["content-type"] == PROBLEM, field
        assert [e["path"] for e in answer.json()["errors"]] == [field], (field, answer.json())
    assert stored(database, settings.data_dir) == before
    still_up(live)


NOT_WHAT_THEY_CLAIM: list[tuple[str, bytes, str, int]] = [
    ("archive.zip", b"PK\x03\x04" + b"\x00" * 64, "application/zip", 415),  # a zip (or a zip bomb): never accepted
    ("page.html", PDF.replace(b"%%EOF", b"<html><script>alert(1)</script></html>%%EOF"), "text/html", 415),
    ("page.html", PDF, "application/pdf", 415),  # a PDF named .html: the name must agree with the content
    ("photo.jpg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "image/jpeg", 415),
]


def test_uploads_that_are_not_what_they_claim_are_refused(live: Live, database: Database, settings: Settings) -> None:
    before = stored(database, settings.data_dir)
    for filename, content, media_type, status in NOT_WHAT_THEY_CLAIM:
        answer = httpx.post(
            f"{live.base_url}/api/v1/uploads", files={"file": (filename, content, media_type)}, headers=live.auth()
        )
        assert answer.status_code == status, (filename, media_type, answer.text)
        assert answer.headers["content-type"] == PROBLEM
        assert [e["path"] for e in answer.json()["errors"]] == ["file"]
        assert stored(database, settings.data_dir) == before
    still_up(live)


def test_traversal_and_header_injection_in_a_file_name_stay_inside_and_out_of_the_headers(
    live: Live, client: TestClient, world: World, database: Database, settings: Settings
) -> None:
    outside = settings.data_dir.parent / "escaped.pdf"
    polyglot = PDF.replace(b"%%EOF", b"<html><script>alert(1)</script></html>\n%%EOF")  # a PDF that is also HTML
    before = stored(database, settings.data_dir)
    # Raw CR/LF inside the part's header breaks the multipart envelope itself: refused, nothing kept.
    multipart = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="../../escaped\r\nSet-Cookie: stolen=1\r\n.pdf"'
        b"\r\nContent-Type: application/pdf\r\n\r\n" + polyglot + b"\r\n--b--\r\n"
    )
    broken = httpx.post(
        f"{live.base_url}/api/v1/uploads",
        content=multipart,
        headers={**live.auth(), "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert broken.status_code == 400 and broken.headers["content-type"] == PROBLEM, broken.text
    assert stored(database, settings.data_dir) == before
    # Traversal, and the line breaks that survive multipart encoding (U+2028, NEL), in a well-formed part.
    name = "../../escaped\u2028Set-Cookie: stolen=1\u0085.pdf"
    uploaded = httpx.post(
        f"{live.base_url}/api/v1/uploads", files={"file": (name, polyglot, "application/pdf")}, headers=live.auth()
    )
    assert uploaded.status_code == 201, uploaded.text
    kept = uploaded.json()["filename"]
    assert "/" not in kept and "\\" not in kept and ".." not in kept[:3]
    assert not any(mark in kept for mark in ("\r", "\n", "\u2028", "\u0085"))
    assert not outside.exists() and not (settings.data_dir / "escaped.pdf").exists()
    number = world.platform.cases.submit(
        world.actors["alice"],
        CaseSubmit(
            service="appeal-to-hokimiyat",
            agency="YUNUSHOK",
            form=APPEAL_FORM,
            documents=[DocumentRef(upload_id=uploaded.json()["id"], document_type="supporting_file")],
        ),
    ).case.registration_number
    sign_in(client, "alice")  # the portal's session cookie is Secure: the in-process client speaks https
    download = client.get(f"/cases/{number}/documents/{uploaded.json()['sha256']}")
    assert download.status_code == 200, download.text[:300]
    assert download.content == polyglot
    # The name's line breaks never split a header: no header of its own, no cookie set, none carries CR or LF.
    assert all("stolen" not in value for value in download.headers.get_list("set-cookie"))
    assert not any("stolen" in key.lower() for key in download.headers)
    assert not any("\r" in value or "\n" in value for _, value in download.headers.multi_items())
    assert (
        download.headers.get_list("content-disposition") and len(download.headers.get_list("content-disposition")) == 1
    )
    assert download.headers["content-disposition"].startswith("attachment;")
    # The polyglot is served as what it was sniffed to be, never rendered as a page.
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    still_up(live)


def test_html_in_every_text_field_is_shown_escaped_on_the_case_pages_and_the_inbox(
    client: TestClient, world: World
) -> None:
    cases = world.platform.cases
    upload = cases.upload(world.actors["alice"], filename=f"{SCRIPT}.jpg", declared_type="image/jpeg", data=JPEG)
    form = {**APPEAL_FORM, "subject": f"Chiroq {SCRIPT}", "text": f"Ko'cha {SCRIPT} chiroqlari yonmayapti."}
    number = cases.submit(
        world.actors["alice"],
        CaseSubmit(
            service="appeal-to-hokimiyat",
            agency="YUNUSHOK",
            form=form,
            documents=[DocumentRef(upload_id=upload.id, document_type="supporting_file")],
        ),
    ).case.registration_number
    officer = world.assignee(number)
    cases.take(world.actors[officer], number)
    cases.request_info(world.actors[officer], number, f"Ma'lumot bering {SCRIPT}")

    def shows_escaped(page: str, where: str) -> None:
        assert "<script>alert" not in page and "<img src=x" not in page, where
        assert "&lt;script&gt;" in page, f"{where}: the typed text is not shown at all"

    sign_in(client, "alice")
    page = client.get(f"/cases/{number}")
    assert page.status_code == 200
    shows_escaped(page.text, "citizen's case page")
    answered = post_form(client, page, f"/cases/{number}/respond", {"message": f"Mana {SCRIPT}"})
    assert answered.status_code in (200, 303), answered.text[:300]
    shows_escaped(client.get("/inbox").text, "inbox")
    client.cookies.clear()
    sign_in(client, officer)
    page = client.get(f"/officer/cases/{number}")
    assert page.status_code == 200
    shows_escaped(page.text, "officer's case page")
    assert page.text.count("&lt;script&gt;") >= 4  # subject, text, file name, request, answer


def test_a_replayed_signed_submission_is_refused_and_files_nothing(client: TestClient, signing_world: World) -> None:
    alice = token(client, "alice")
    key, chain = certify(client, alice)
    signed = body(signed_body_token(key, chain, body()))
    first = client.post("/api/v1/cases", json=signed, headers={**alice, "Idempotency-Key": "first-signed-one"})
    assert first.status_code == 201, first.text
    number = first.json()["registration_number"]
    before = stored(signing_world.platform.db, signing_world.platform.settings.data_dir)
    replayed = client.post("/api/v1/cases", json=signed, headers=alice)
    assert replayed.status_code == 422, replayed.text
    assert replayed.headers["content-type"] == PROBLEM
    problem = replayed.json()
    assert problem["errors"] == [{"path": "signature", "message": "replayed: this signature already filed a case"}]
    assert number in problem["detail"] and problem["case"] == number
    # The same signature under a new Idempotency-Key is the same replay.
    again = client.post("/api/v1/cases", json=signed, headers={**alice, "Idempotency-Key": "another-key-123"})
    assert again.status_code == 422 and again.json()["errors"][0]["path"] == "signature"
    assert stored(signing_world.platform.db, signing_world.platform.settings.data_dir) == before
    # A retry with the first request's Idempotency-Key still gets the first answer.
    retried = client.post("/api/v1/cases", json=signed, headers={**alice, "Idempotency-Key": "first-signed-one"})
    assert retried.status_code == 200 and retried.json()["registration_number"] == number


@pytest.mark.parametrize(
    ("skew", "says"),
    [(dt.timedelta(minutes=10), "later than"), (dt.timedelta(hours=-25), "more than 1 day")],
    ids=["ten minutes in the future", "a day and an hour old"],
)
def test_a_clock_skewed_signature_is_refused_and_files_nothing(
    client: TestClient, signing_world: World, skew: dt.timedelta, says: str
) -> None:
    alice = token(client, "alice")
    key, chain = certify(client, alice)
    before = stored(signing_world.platform.db, signing_world.platform.settings.data_dir)
    content = body()
    skewed = sign_submission(content, key, chain, dt.datetime.now(dt.UTC) + skew)
    answer = client.post("/api/v1/cases", json=body(skewed), headers=alice)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["errors"] == [{"path": "signature", "message": "signing_time_invalid"}]
    assert says in answer.json()["detail"]
    assert stored(signing_world.platform.db, signing_world.platform.settings.data_dir) == before
