"""The data tracker's coverage is total: every endpoint and page is classified, and each one that returns a
person's data to someone else writes an access record for that person (issue 6, part 3).

A new route fails this test until it is classified here — so nobody adds a way to read personal data that
the person cannot see.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient

from shaffof.mediator import signing
from shaffof.privacy.models import AccessRecord
from tests.factories import APPEAL_FORM, PASSWORD, PDF, World, token
from tests.integration import registry_data
from tests.integration.portal.pages import sign_in
from tests.integration.test_oidc import hidden
from tests.integration.test_personal_data import request_body

# Routes that return no person's data, or only the caller's own, or only what the caller sent.
NOT_OTHERS: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/openapi.json"): "none",
    ("GET", "/api/v1/docs"): "none",
    ("GET", "/docs/oauth2-redirect"): "none",
    ("POST", "/api/v1/auth/login"): "own account",
    ("POST", "/api/v1/auth/logout"): "none",
    ("GET", "/api/v1/auth/me"): "own account",
    ("GET", "/api/v1/services"): "none",
    ("GET", "/api/v1/services/{code}"): "none",
    ("GET", "/api/v1/agencies"): "none",
    ("POST", "/api/v1/uploads"): "own upload",
    ("POST", "/api/v1/cases"): "own submission",
    ("GET", "/api/v1/cases"): "own cases",
    ("POST", "/api/v1/cases/{registration_number}/respond"): "own case (applicant only)",
    ("POST", "/api/v1/cases/{registration_number}/contest"): "own case (applicant only)",
    ("GET", "/api/v1/officer/queue"): "none: numbers, services, states, deadlines — no applicant data",
    ("GET", "/api/v1/officer/queue/events"): "none: number, seq, kind, state",
    ("POST", "/api/v1/admin/persons"): "echo of what the administrator entered",
    ("POST", "/api/v1/admin/accounts"): "staff account created",
    ("GET", "/api/v1/ledger/checkpoint"): "none",
    ("GET", "/api/v1/ledger/checkpoints"): "none",
    ("GET", "/api/v1/ledger/status"): "none",
    ("GET", "/api/v1/ledger/leaves"): "none: hashes",
    ("GET", "/api/v1/ledger/proof/inclusion"): "none: hashes",
    ("GET", "/api/v1/ledger/proof/consistency"): "none: hashes",
    ("GET", "/api/v1/ledger/public-key"): "none",
    ("GET", "/api/v1/inbox"): "own notices",
    ("POST", "/api/v1/inbox/{notification_id}/read"): "own notices",
    ("GET", "/api/v1/inbox/preferences"): "own settings",
    ("PUT", "/api/v1/inbox/preferences"): "own settings",
    ("GET", "/api/v1/deadlines/policies"): "none",
    ("GET", "/api/v1/deadlines/calculate"): "none",
    ("GET", "/api/v1/deadlines/calendar/{year}"): "none",
    ("POST", "/api/v1/deadlines/calendar/overrides"): "none",
    ("GET", "/api/v1/services/{code}/prefill"): "own data (recorded all the same, channel prefill)",
    ("GET", "/api/v1/mediator/messages/{message_id}/verify"): "none: digests and proofs",
    ("GET", "/api/v1/me/access-log"): "own",
    ("GET", "/api/v1/mediator/policies"): "none: agencies, registry services, purposes",
    ("POST", "/api/v1/mediator/policies"): "none: the policy entered",
    ("PATCH", "/api/v1/mediator/policies/{policy_id}"): "none: the policy changed",
    ("POST", "/api/v1/mediator/policies/{policy_id}/revoke"): "none: the policy revoked",
    ("GET", "/api/v1/mediator/policies/{policy_id}/changes"): "none: a policy's history (administrators' names)",
    ("GET", "/api/v1/access-records/{record_id}/verify"): "none: hashes",
    ("GET", "/api/v1/me/consents"): "own",
    ("GET", "/api/v1/me/destroyed"): "own tombstones (no content)",
    ("GET", "/api/v1/me/data-export"): "own (recorded all the same, channel export)",
    ("POST", "/api/v1/me/rectification-requests"): "own submission",
    ("POST", "/api/v1/me/consents"): "own",
    ("POST", "/api/v1/me/consents/{consent_id}/withdraw"): "own",
    ("POST", "/api/v1/pki/certificates"): "own certificate",
    ("POST", "/api/v1/pki/certificates/{serial}/renew"): "holder's own or administrator's action on it",
    ("POST", "/api/v1/pki/certificates/{serial}/revoke"): "holder's own or administrator's action on it",
    ("POST", "/api/v1/pki/cloud-keys"): "own key",
    ("POST", "/api/v1/pki/cloud-sign"): "own signature",
    ("GET", "/api/v1/integrity/rules"): "none",
    ("GET", "/api/v1/integrity/approvals"): "none of an applicant's: numbers, services, proposed outcomes, officers",
    ("GET", "/api/v1/integrity/findings"): "none of an applicant's: rule, case number, officer, internal ids",
    ("GET", "/integrity/findings"): "none of an applicant's: rule, case number, officer, internal ids",
    ("GET", "/api/v1/integrity/officers"): "officers' own work figures (heads and auditors only)",
    ("GET", "/integrity/officers"): "officers' own work figures (heads and auditors only)",
    ("GET", "/api/v1/integrity/recusals"): "officer, case number, reason kind — no applicant data",
    ("POST", "/api/v1/integrity/conflicts"): "none (204)",
    ("POST", "/api/v1/integrity/findings/{finding_id}/dismiss"): "the finding (as the list)",
    ("GET", "/login"): "none",
    ("POST", "/login"): "own account",
    ("POST", "/logout"): "none",
    ("GET", "/account"): "own sign-ins",
    ("POST", "/account/sign-ins/{token_id}/end"): "own sign-ins",
    ("GET", "/inbox"): "own notices",
    ("POST", "/inbox/{notification_id}/read"): "own notices",
    ("GET", "/cases"): "own cases",
    ("POST", "/cases/{number}/respond"): "own case (applicant only)",
    ("POST", "/cases/{number}/contest"): "own case (applicant only)",
    ("GET", "/services/{code}"): "none",
    ("GET", "/services/{code}/apply"): "own form",
    ("POST", "/services/{code}/apply"): "own form",
    ("POST", "/services/{code}/submit"): "own submission",
    ("GET", "/officer"): "none: numbers, services, states, deadlines, assignees — no applicant data",
    ("GET", "/officer/board"): "none: numbers, services, deadlines — no applicant data",
    ("GET", "/officer/conflicts"): "none: the form",
    (
        "POST",
        "/officer/conflicts",
    ): "none: the officer's own declaration (the PINFL they typed is not echoed on success)",
    ("POST", "/cases/{number}/rating"): "own case (applicant only)",
    ("GET", "/about"): "none",
    ("GET", "/help"): "none",
    ("GET", "/admin"): "none",
    ("GET", "/admin/agencies"): "none: the bodies",
    ("GET", "/admin/users"): "none of an applicant's: staff accounts (administrators only)",
    ("POST", "/admin/users"): "staff account created",
    ("POST", "/admin/users/role"): "staff account changed",
    ("POST", "/admin/users/active"): "staff account changed",
    ("GET", "/admin/packages"): "none",
    ("POST", "/admin/packages"): "none: the packages uploaded and their problems",
    ("GET", "/admin/calendar"): "none: days and reasons",
    ("POST", "/admin/calendar"): "none: the override entered",
    ("POST", "/api/v1/auth/totp/enrol"): "own",
    ("POST", "/api/v1/auth/totp/confirm"): "own",
    ("POST", "/api/v1/verify"): "what the caller uploaded",
    ("GET", "/pki/ca.pem"): "none",
    ("GET", "/pki/ca.der"): "none",
    ("GET", "/pki/issuing-ca.der"): "none",
    ("GET", "/pki/chain.pem"): "none",
    ("GET", "/pki/crl.der"): "none: serial numbers",
    ("GET", "/pki/root-crl.der"): "none",
    ("POST", "/pki/ocsp"): "none: status by serial",
    ("POST", "/pki/tsa"): "none",
    ("GET", "/healthz"): "none",
    ("GET", "/readyz"): "none",
    ("GET", "/"): "none",
    ("GET", "/deadlines"): "none",
    ("GET", "/verify"): "none",
    ("POST", "/verify"): "what the caller uploaded",
    ("GET", "/my-data"): "own",
    ("GET", "/my-data/consents"): "own",
    ("POST", "/my-data/consents"): "own",
    ("POST", "/my-data/consents/{consent_id}/withdraw"): "own",
    ("GET", "/my-data/consents/{consent_id}/receipt"): "own",
    ("GET", "/my-data/export"): "none: two links",
    ("GET", "/my-data/export.json"): "own (recorded all the same, channel export)",
    ("GET", "/my-data/export.pdf"): "own (recorded all the same, channel export)",
    ("GET", "/my-data/rectification"): "none: the empty form",
    ("POST", "/my-data/rectification"): "own submission",
    ("GET", "/pki/issuing/{serial}/ca.der"): "none",
    ("GET", "/pki/issuing/{serial}/crl.der"): "none: serial numbers",
    ("POST", "/api/v1/pki/rotations"): "none: an authority's certificate",
    ("GET", "/transparency"): "none",
    ("POST", "/transparency"): "what the caller pasted, checked against the log",
    ("GET", "/api/v1/admin/archive/retention"): "none: the schedule",
    ("GET", "/api/v1/admin/archive/holds"): "none: case numbers, reasons, authorities",
    ("POST", "/api/v1/admin/archive/holds"): "none: the hold entered",
    ("POST", "/api/v1/admin/archive/holds/{registration_number}/{seq}/release"): "none: the hold released",
    ("GET", "/api/v1/admin/archive/tombstones"): "none: digests, dates, reasons",
    ("POST", "/api/v1/admin/archive/disposals"): "none: counts and digests",
    ("GET", "/.well-known/openid-configuration"): "none",
    ("GET", "/oauth/jwks"): "none",
    ("GET", "/oauth/authorize"): "own: the consent screen shows the signed-in person their own claims",
    ("POST", "/oauth/authorize"): "own consent",
    ("GET", "/oauth/sign-in"): "none",
    ("POST", "/oauth/sign-in"): "own account",
    ("POST", "/oauth/sign-in/security-key"): "own account",
    ("GET", "/oauth/end-session"): "none",
    ("POST", "/oauth/end-session"): "none",
    ("GET", "/oauth/upstream/start"): "none",
    ("GET", "/oauth/upstream/callback"): "own account",
    ("GET", "/oauth/security"): "own",
    ("POST", "/oauth/security/{action:path}"): "own",
    ("POST", "/oauth/security-keys"): "own",
    ("POST", "/oauth/security-keys/options"): "own",
    ("POST", "/oauth/revoke"): "none",
    ("GET", "/api/v1/me/security-events"): "own",
    ("POST", "/api/v1/auth/recovery-codes"): "own",
    ("GET", "/api/v1/admin/oidc/clients"): "none: agency clients",
    ("POST", "/api/v1/admin/oidc/clients"): "none: agency client",
    ("POST", "/api/v1/admin/oidc/clients/{client_id}/secret"): "none: agency client secret",
    ("POST", "/api/v1/admin/oidc/keys/rotate"): "none",
    ("GET", "/api/v1/agency/services"): "none: the catalogue",
    ("GET", "/api/v1/statistics"): "none: aggregates",
    ("GET", "/api/v1/statistics.csv"): "none: aggregates",
    ("GET", "/api/v1/statistics/dictionary"): "none",
    ("GET", "/api/v1/officer/statistics"): "none: the agency's aggregates",
    ("GET", "/api/v1/officer/statistics/cases"): "none: registration numbers behind a figure, no applicant data",
    ("GET", "/statistics"): "none: aggregates",
    ("GET", "/api/v1/statistics/integrity"): "none: open findings counted per body and rule",
    ("GET", "/api/v1/statistics/integrity.csv"): "none: open findings counted per body and rule",
    ("GET", "/officer/statistics"): "none: the agency's aggregates and findings counted per rule",
    ("GET", "/officer/statistics/cases"): "none: numbers, services, states, deadlines — no applicant data",
    ("GET", "/statistics/egdi"): "none",
    ("POST", "/api/v1/cases/{registration_number}/rating"): "own rating (applicant only)",
    ("GET", "/open311/v2/discovery.{fmt}"): "none",
    ("GET", "/open311/v2/services.{fmt}"): "none",
    ("GET", "/open311/v2/services/{code}.{fmt}"): "none",
    ("GET", "/open311/v2/requests.{fmt}"): "none: status and place, never the applicant's text (docs/statistics.md)",
    ("GET", "/open311/v2/requests/{number}.{fmt}"): "none: status and place, never the applicant's text",
    ("GET", "/open311/v2/tokens/{token}.{fmt}"): "none: the request id for the caller's token",
    ("POST", "/open311/v2/requests.{fmt}"): "own submission",
}


@dataclass
class Scene:
    client: TestClient
    world: World
    number: str
    document: str
    alice: str
    bob: str
    certificate_serial: str
    message_key: Any
    message_key_id: str
    access_token: str = field(default="")


Exercise = Callable[[Scene], tuple[int, str]]  # → (HTTP status, whose data it returned)


def _officer(scene: Scene) -> dict[str, str]:
    return token(scene.client, "toshhok.officer")


def _post(path: str, body: dict[str, Any] | None = None) -> Exercise:
    def run(scene: Scene) -> tuple[int, str]:
        return scene.client.post(
            path.format(n=scene.number), json=body or {}, headers=_officer(scene)
        ).status_code, scene.alice

    return run


def _get(path: str, who: str = "toshhok.officer") -> Exercise:
    def run(scene: Scene) -> tuple[int, str]:
        url = path.format(n=scene.number, doc=scene.document, serial=scene.certificate_serial, pinfl=scene.alice)
        return scene.client.get(url, headers=token(scene.client, who)).status_code, scene.alice

    return run


def _request_info(scene: Scene) -> tuple[int, str]:
    status, subject = _post("/api/v1/officer/cases/{n}/request-info", {"message": "Uy raqamini aniqlashtiring."})(scene)
    answer = scene.client.post(
        f"/api/v1/cases/{scene.number}/respond", json={"message": "12-uy."}, headers=token(scene.client, "alice")
    )
    assert answer.status_code == 200, answer.text  # so that the case can be decided next
    return status, subject


def _case_stream(scene: Scene) -> tuple[int, str]:
    # A server-sent stream never ends; the route's first act is this call (which authorises and records).
    live = scene.client.app.state.platform.live  # type: ignore[attr-defined]
    live.open_case_stream(scene.world.actors["toshhok.officer"], scene.number, None)
    return 200, scene.alice


def _mediator(scene: Scene) -> tuple[int, str]:
    raw = json.dumps(request_body(scene.alice)).encode()
    response = scene.client.post(
        "/api/v1/mediator/population/family",
        content=raw,
        headers={
            **token(scene.client, "ijtimoiy.system"),
            "content-type": "application/json",
            "X-Mediator-Key-Id": scene.message_key_id,
            "X-Mediator-Signature": signing.sign(scene.message_key, "population", "family", raw),
        },
    )
    return response.status_code, scene.alice


def _lookup(scene: Scene) -> tuple[int, str]:
    body = {"subject": scene.bob, "purpose": "appeal-handling", "categories": ["address"], "reason": "a complaint"}
    response = scene.client.post("/api/v1/registries/population/address/lookup", json=body, headers=_officer(scene))
    return response.status_code, scene.bob


def _page(path: str) -> Exercise:
    """A portal page opened by the officer in a browser session of its own (the scene's client keeps tokens)."""

    def run(scene: Scene) -> tuple[int, str]:
        browser = TestClient(scene.client.app, base_url="https://testserver")
        assert sign_in(browser, "toshhok.officer").status_code == 303
        return browser.get(path.format(n=scene.number, doc=scene.document)).status_code, scene.alice

    return run


def _reassign(scene: Scene) -> tuple[int, str]:
    """The head of the body moves a fresh case of alice's to the other officer (the response is the case)."""
    fresh = scene.client.post(
        "/api/v1/cases",
        json={"service": "appeal-to-hokimiyat", "agency": "TOSHHOK", "form": APPEAL_FORM, "documents": []},
        headers=token(scene.client, "alice"),
    ).json()["registration_number"]
    to = "toshhok.officer" if scene.world.assignee(fresh) != "toshhok.officer" else "toshhok.officer2"
    response = scene.client.post(
        f"/api/v1/integrity/cases/{fresh}/reassign",
        json={"officer": to, "reason": "Yuklama teng taqsimlanmoqda."},
        headers=token(scene.client, "toshhok.head"),
    )
    return response.status_code, scene.alice


def _oidc_token(scene: Scene) -> tuple[int, str]:
    """An agency's client gets alice's claims: she signs in and consents, the client redeems the code."""
    redirect_uri = "https://portal.toshhok.example/callback"
    client = scene.client.post(
        "/api/v1/admin/oidc/clients",
        json={
            "name": "Hokimlik portali",
            "kind": "web",
            "agency": "TOSHHOK",
            "redirect_uris": [redirect_uri],
            "scopes": ["openid", "profile", "pinfl"],
        },
        headers=token(scene.client, "admin"),
    )
    assert client.status_code == 201, client.text
    client = client.json()
    browser = TestClient(scene.client.app, base_url="https://testserver")
    verifier = secrets.token_urlsafe(48)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client["client_id"],
            "redirect_uri": redirect_uri,
            "scope": "openid profile pinfl",
            "state": "s",
            "nonce": secrets.token_urlsafe(8),
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    page = browser.get(f"/oauth/authorize?{query}")
    fields = {name: hidden(page.text, name) for name in ("csrf", "step", "next", "level", "since", "lang")}
    page = browser.post("/oauth/sign-in", data={**fields, "login": "alice", "password": PASSWORD})
    consent = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    consent = {k: v.replace("&amp;", "&") for k, v in consent.items()} | {"decision": "allow"}
    answer = browser.post("/oauth/authorize", data=consent, follow_redirects=False)
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    tokens = scene.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        },
    )
    scene.access_token = tokens.json().get("access_token", "")
    return tokens.status_code, scene.alice


def _userinfo(method: str) -> Exercise:
    def run(scene: Scene) -> tuple[int, str]:
        headers = {"Authorization": f"Bearer {scene.access_token}"}
        return scene.client.request(method, "/oauth/userinfo", headers=headers).status_code, scene.alice

    return run


# Routes that return a person's data to someone else: each must leave an access record for that person.
OTHERS: dict[tuple[str, str], Exercise] = {
    ("GET", "/officer/cases/{number}"): _page("/officer/cases/{n}"),
    ("GET", "/cases/{number}"): _page("/cases/{n}"),
    ("GET", "/cases/{number}/receipt"): _page("/cases/{n}/receipt"),
    ("GET", "/cases/{number}/decision"): _page("/cases/{n}/decision"),
    ("GET", "/cases/{number}/documents/{sha256}"): _page("/cases/{n}/documents/{doc}"),
    ("GET", "/api/v1/cases/{registration_number}"): _get("/api/v1/cases/{n}"),
    ("GET", "/api/v1/cases/{registration_number}/timeline"): _get("/api/v1/cases/{n}/timeline"),
    ("GET", "/api/v1/cases/{registration_number}/documents"): _get("/api/v1/cases/{n}/documents"),
    ("GET", "/api/v1/cases/{registration_number}/documents/{sha256}"): _get("/api/v1/cases/{n}/documents/{doc}"),
    ("GET", "/api/v1/cases/{registration_number}/events"): _case_stream,
    ("GET", "/api/v1/ledger/receipts/{registration_number}"): _get("/api/v1/ledger/receipts/{n}", "auditor"),
    ("POST", "/api/v1/officer/cases/{registration_number}/take"): _post("/api/v1/officer/cases/{n}/take"),
    ("POST", "/api/v1/officer/cases/{registration_number}/request-info"): _request_info,
    ("POST", "/api/v1/officer/cases/{registration_number}/extend"): _post(
        "/api/v1/officer/cases/{n}/extend", {"kind": "study", "justification": "Qo'shimcha o'rganish kerak."}
    ),
    ("POST", "/api/v1/officer/cases/{registration_number}/decide"): _post(
        "/api/v1/officer/cases/{n}/decide", {"outcome": "approved", "reason": "Bajarildi."}
    ),
    ("POST", "/api/v1/officer/cases/{registration_number}/close"): _post(
        "/api/v1/officer/cases/{n}/close", {"reason": "Javob berildi."}
    ),
    ("POST", "/api/v1/officer/cases/{registration_number}/forward"): _post(
        "/api/v1/officer/cases/{n}/forward", {"agency": "YUNUSHOK", "reason": "Tuman vakolatida."}
    ),
    ("POST", "/api/v1/mediator/{registry}/{service}"): _mediator,
    ("POST", "/api/v1/registries/{registry}/{service}/lookup"): _lookup,
    ("GET", "/api/v1/mediator/messages"): _get("/api/v1/mediator/messages", "auditor"),
    ("GET", "/api/v1/access-records"): _get("/api/v1/access-records?subject={pinfl}", "auditor"),
    ("GET", "/api/v1/pki/certificates"): _get("/api/v1/pki/certificates", "admin"),
    ("GET", "/api/v1/pki/certificates/{serial}"): _get("/api/v1/pki/certificates/{serial}", "auditor"),
    ("POST", "/api/v1/integrity/cases/{registration_number}/reassign"): _reassign,
    # Claims released to an agency's client after the person's consent (ZRU-547 Art. 18): oidc/releases.py.
    ("POST", "/oauth/token"): _oidc_token,
    ("GET", "/oauth/userinfo"): _userinfo("GET"),
    ("POST", "/oauth/userinfo"): _userinfo("POST"),
}


def app_routes(client: TestClient) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in client.app.router.routes:  # type: ignore[attr-defined]
        contexts = route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else [route]
        for context in contexts:
            for method in getattr(context, "methods", None) or ():
                if method != "HEAD":
                    found.add((method, context.path))
    return found


# Routes that return a person's data to others only for cases this scene cannot make (an automated decision);
# their access records are asserted in the named test.
OTHERS_TESTED_ELSEWHERE: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/cases/{registration_number}/trace"): "test_automation.py::test_an_automated_refusal_is_…",
    ("GET", "/cases/{number}/trace"): "test_automation.py::test_an_automated_refusal_is_…",
    ("GET", "/officer/reviews/{number}"): "test_automation_review.py::test_apply_decide_through_the_…",
    # The review page's forms call the same domain operations as the API routes above (which record).
    ("POST", "/officer/reviews/{number}/review"): "automation.service.review records the read",
    ("POST", "/officer/reviews/{number}/approve"): "test_automation_review.py::test_apply_decide_through_the_…",
    ("POST", "/officer/reviews/{number}/send-back"): "test_automation_review.py::test_apply_decide_through_the_…",
    ("POST", "/api/v1/officer/cases/{registration_number}/review"): "automation.service.review records the read",
    ("POST", "/api/v1/integrity/cases/{registration_number}/approve"): "test_integrity.py::test_a_land_allocation_…",
    ("POST", "/api/v1/integrity/cases/{registration_number}/send-back"): "test_integrity.py::test_a_land_allocation_…",
    # The officer's page actions call the same domain operations as the API routes above (which record).
    ("POST", "/officer/cases/{number}/take"): "portal/test_officer_pages.py::test_an_officer_takes_…",
    ("POST", "/officer/cases/{number}/request-info"): "portal/test_officer_pages.py::test_an_officer_takes_…",
    ("POST", "/officer/cases/{number}/extend"): "portal/test_officer_pages.py::test_an_officer_takes_…",
    ("POST", "/officer/cases/{number}/decide"): "portal/test_officer_pages.py::test_an_officer_takes_…",
    ("POST", "/officer/cases/{number}/forward"): "portal/test_officer_pages.py::test_forwarding_from_the_case_…",
    ("POST", "/officer/cases/{number}/close"): "cases.close records the read like the API route's",
    ("POST", "/officer/cases/{number}/approve"): "portal/test_integrity_pages.py::test_a_proposed_decision_…",
    ("POST", "/officer/cases/{number}/send-back"): "portal/test_integrity_pages.py::test_a_proposed_decision_…",
    ("POST", "/officer/cases/{number}/reassign"): "portal/test_integrity_pages.py::test_the_head_reassigns_…",
}


def test_every_route_is_classified(client: TestClient) -> None:
    routes = app_routes(client)
    unclassified = routes - set(NOT_OTHERS) - set(OTHERS) - set(OTHERS_TESTED_ELSEWHERE)
    assert not unclassified, f"classify these routes for the data tracker: {sorted(unclassified)}"
    assert not (set(NOT_OTHERS) | set(OTHERS) | set(OTHERS_TESTED_ELSEWHERE)) - routes, (
        "classified routes that are gone"
    )
    assert not set(NOT_OTHERS) & set(OTHERS)


@pytest.fixture
def scene(client: TestClient, world: World) -> Scene:
    people = registry_data.load(world)
    world.platform.pki.initialise()
    _, key, key_id = registry_data.agency_system(world, "IJTIMOIY")
    alice = token(client, "alice")
    upload = client.post("/api/v1/uploads", files={"file": ("a.pdf", PDF, "application/pdf")}, headers=alice).json()
    case = client.post(
        "/api/v1/cases",
        json={
            "service": "appeal-to-hokimiyat",
            "agency": "TOSHHOK",
            "form": APPEAL_FORM,
            "documents": [{"upload_id": upload["id"], "document_type": "supporting_file"}],
        },
        headers=alice,
    )
    assert case.status_code == 201, case.text
    key_pem = ec.generate_private_key(ec.SECP256R1())
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Aziza Karimova")]))
        .sign(key_pem, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )
    certificate = client.post("/api/v1/pki/certificates", json={"csr": request}, headers=alice)
    assert certificate.status_code == 201, certificate.text
    return Scene(
        client=client,
        world=world,
        number=case.json()["registration_number"],
        document=case.json()["documents"][0]["sha256"],
        alice=people["alice"],
        bob=people["bob"],
        certificate_serial=certificate.json()["serial"],
        message_key=key,
        message_key_id=key_id,
    )


def records_of(world: World, pinfl: str) -> int:
    with world.platform.db.reading() as session:
        return session.scalar(sa.select(sa.func.count()).where(AccessRecord.subject_pinfl == pinfl)) or 0


def test_every_route_that_returns_a_persons_data_to_others_writes_an_access_record(scene: Scene) -> None:
    # Order matters for the officer actions (take before decide, forward last); dicts keep insertion order.
    covered = []
    for route, exercise in OTHERS.items():
        subject = scene.bob if route[1].endswith("/lookup") else scene.alice
        before = records_of(scene.world, subject)
        status, subject = exercise(scene)
        if route[1].endswith("/forward"):
            assert status in (200, 409), route  # forwarding a decided case is refused: exercise on a fresh one
            if status == 409:
                fresh = scene.client.post(
                    "/api/v1/cases",
                    json={"service": "appeal-to-hokimiyat", "agency": "TOSHHOK", "form": APPEAL_FORM, "documents": []},
                    headers=token(scene.client, "alice"),
                ).json()["registration_number"]
                scene.number = fresh
                before = records_of(scene.world, subject)
                status, subject = exercise(scene)
        assert 200 <= status < 300, (route, status)
        assert records_of(scene.world, subject) > before, f"{route} returned {subject}'s data without a record"
        covered.append(route)
    assert len(covered) == len(OTHERS)
