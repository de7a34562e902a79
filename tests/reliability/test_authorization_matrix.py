"""The authorization matrix (issue 11, part 2.2): every endpoint and page × every role, the expected outcome
declared once, in ``MATRIX`` below, and every cell exercised against the running app.

The resource dimension is the caller's relation to one resource: the seeded case is alice's appeal at the
Tashkent city hokimiyat (TOSHHOK), routed to one of its officers. So ``citizen`` is the owner, ``other_citizen``
someone else's case, ``officer``/``head`` the owning body and ``other_officer`` another agency's resource. A
state-changing step that may pass gets a fresh case of alice's for its cell, so no cell depends on another;
refusals are tried on the seeded case (a refused call changes nothing).

Outcomes: ``OK`` — authorization passed and the operation succeeded (2xx, or a redirect that is not to the
sign-in form); 401 — not signed in (a page answers with a redirect to the sign-in form); 403 — refused by the
domain's policy; 404 — the resource is hidden from this caller (a citizen must not learn that another's case
exists). Where the domain answers something else for an allowed caller (a 409 for a state that refuses the step),
the row says so. A route without a row fails ``test_every_route_has_a_row``.

Both databases run every cell: an answer that depends on stored ownership can differ between them (a type
coercion, a collation, a query plan), and the others are cheap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shaffof.config import Settings
from shaffof.errors import DomainError
from shaffof.web.deps import SESSION_COOKIE, csrf_token
from tests.factories import APPEAL_FORM, PDF, World, token
from tests.integration import registry_data
from tests.integration.portal.pages import csrf, sign_in
from tests.integration.test_access_coverage import app_routes
from tests.reliability.cast import ROLES, Cast, assemble, csr

OK = "ok"
SIGN_IN_FORMS = ("/login", "/oauth/sign-in")  # a page's "sign in first" is a redirect to one of these
Outcome = str | int

CITIZENS = ("citizen", "other_citizen")
STAFF = ("officer", "other_officer", "head")


def cells(default: Outcome, **roles: Outcome) -> dict[str, Outcome]:
    """One outcome per role: ``default`` unless named."""
    unknown = set(roles) - set(ROLES)
    assert not unknown, unknown
    return {role: roles.get(role, default) for role in ROLES}


# Who may do what, in the words of the policies (cases/policy.py, archive/policy.py, identity, privacy, pki).
PUBLIC = cells(OK)
# The agency system's OAuth token is not a Shaffof API token: where a route reads the caller, it is refused as
# unknown (401); agency tokens are for /api/v1/agency/ only (docs/oidc.md).
SIGNED_IN = cells(OK, anonymous=401, agency_system=401)
CITIZEN_ONLY = cells(403, citizen=OK, other_citizen=OK, anonymous=401, agency_system=401)
STAFF_ONLY = cells(403, officer=OK, other_officer=OK, head=OK, anonymous=401, agency_system=401)
ADMIN_ONLY = cells(403, admin=OK, anonymous=401, agency_system=401)
AUDITOR_ONLY = cells(403, auditor=OK, anonymous=401, agency_system=401)
# Reading a case (cases/policy.ensure_can_read): the applicant, the owning body's staff, auditors; another
# citizen (and any account that is neither staff nor auditor) gets 404, another body's staff 403.
READ_CASE = cells(404, citizen=OK, officer=OK, head=OK, auditor=OK, other_officer=403, anonymous=401, agency_system=401)
# The applicant's own steps (respond, contest, rate).
APPLICANT = cells(404, citizen=OK, officer=403, head=403, auditor=403, other_officer=403, anonymous=401,
                  agency_system=401)  # fmt: skip
# Working the case (take, request-info, decide, …): the assignee and the head of the owning body.
# A caller who is not staff is refused as such (403) before the case is looked up, so nothing leaks about it.
WORK_CASE = cells(403, officer=OK, head=OK, anonymous=401, agency_system=401)
# A fresh case waits to be taken: the owning body's officer passes the policy and the lifecycle answers 409.
WORK_UNTAKEN = cells(403, officer=409, head=409, anonymous=401, agency_system=401)
# Contesting and rating need a decision: on a fresh case the applicant passes the policy and the state answers 409.
UNDECIDED = {**APPLICANT, "citizen": 409}
# Aggregates of the body; auditors read every body's (reports/: no applicant data in them).
STAFF_AND_AUDITORS = {**STAFF_ONLY, "auditor": OK}
# The seeded case has no automated decision, so those who may read it learn only that there is no trace
# (test_automation.py reads a real one).
NO_TRACE = {**READ_CASE, **{role: 404 for role, outcome in READ_CASE.items() if outcome == OK}}
# The holder and an administrator act on a certificate (serials are public: the CRL lists them, so 403 leaks
# nothing). The holder's cell runs first; the administrator then finds it renewed or revoked already (409).
CERTIFICATE_HOLDER = cells(403, citizen=OK, admin=409, anonymous=401, agency_system=401)
# Cloud keys are for people who sign (citizens, officers); without an enrolled TOTP the step-up refuses (409).
CLOUD_SIGNERS = cells(409, auditor=403, admin=403, archivist=403, anonymous=401, agency_system=401)
# Pages: the sign-in requirement is a redirect to /login (401 here); refusals are pages with the same statuses.
PAGE_PUBLIC = cells(OK)


def form(outcomes: dict[str, Outcome]) -> dict[str, Outcome]:
    """A page's form: without a session there is no CSRF token to send, so the form is refused (403) before
    anything else — nothing is done and nothing about the resource is said."""
    return {**outcomes, "anonymous": 403, "agency_system": 403}


# The officer's pages read the case first (the case page's own read): a caller who may not read it gets 404
# where the API's step says 403 — both refuse, the page says less.
PAGE_WORK = form(cells(404, officer=OK, head=OK, other_officer=403, citizen=403, auditor=403))
PAGE_WORK_UNTAKEN = {**PAGE_WORK, "officer": 409, "head": 409}


@dataclass(frozen=True)
class Call:
    """How a cell is exercised: the concrete path and body; placeholders {n} (the case), {doc}, {serial},
    {pinfl} (alice's)."""

    path: str
    json: Any = None
    form: dict[str, str] | None = None  # a page's form (the CSRF token is added)
    files: dict[str, Any] | None = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    fresh: bool = False  # a fresh case of alice's for each cell
    page: bool = False  # a portal page: the browser session of the role
    ends_session: bool = False  # the role signs in again afterwards
    own_form: bool = False  # a form with its own token (sign-in): fetched first by a fresh browser


def api(path: str, **kwargs: Any) -> Call:
    return Call(path, **kwargs)


def page(path: str, **kwargs: Any) -> Call:
    return Call(path, page=True, **kwargs)


CASE = "/api/v1/cases/{n}"
OFFICER = "/api/v1/officer/cases/{n}"
REASON = {"reason": "Javob berildi."}
PAGE_APPEAL = {"agency": "TOSHHOK", **{f"f-{name}": value for name, value in APPEAL_FORM.items()}}

Row = tuple["Call", dict[str, Outcome]]
MATRIX: dict[tuple[str, str], Row] = {}


def row(method: str, route: str, call: Call, outcomes: dict[str, Outcome]) -> None:
    assert (method, route) not in MATRIX, (method, route)
    MATRIX[(method, route)] = (call, outcomes)


@dataclass
class Bench:
    cast: Cast
    api: TestClient  # answers a server error with its 500 (a cell that fails), not an exception
    browsers: dict[str, TestClient]
    secret_key: str
    csr: str

    @property
    def backend(self) -> str:
        return self.cast.world.platform.db.engine.dialect.name

    def run(self, method: str, call: Call, role: str, expected: Outcome) -> int:
        # A refused call changes nothing, so refusals are tried on the seeded case; a call that may pass gets a
        # fresh case of its own.
        number = self.cast.submit() if call.fresh and expected not in (401, 403, 404) else self.cast.number
        if role == "officer" and self.cast.world.assignee(number) != self.cast.logins["officer"]:
            role = "officer2"  # the officer the case was routed to (fair assignment picks among the body's)
        pinfl = self.cast.world.pinfls["alice"]
        now = dt.datetime.now(dt.UTC).isoformat()
        bob = self.cast.world.pinfls["bob"]  # a conflict is declared with bob, who has no case here (recusal)
        path = call.path.format(n=number, doc=self.cast.sha256, serial=self.cast.serial, pinfl=pinfl)
        body = _templated(
            call.json,
            {
                "{n}": number,
                "{pinfl}": pinfl,
                "{csr}": self.csr,
                "{role}": f"nobody-{role}",
                "{now}": now,
                "{bob}": bob,
            },
        )
        if call.page:
            browser = self.browsers[role]
            data = None
            if call.own_form:
                browser = TestClient(self.api.app, base_url="https://testserver", raise_server_exceptions=False)
                data = {"csrf_token": csrf(browser.get(path)), **_templated(call.form, {"{role}": f"nobody-{role}"})}
            elif call.form is not None:
                cookie = browser.cookies.get(SESSION_COOKIE)
                token = csrf_token(self.secret_key, cookie) if cookie else ""
                # The portal's forms carry csrf_token, the identity provider's csrf (the same session token).
                data = {"csrf_token": token, "csrf": token, **_templated(call.form, {"{role}": f"nobody-{role}"})}
            response = browser.request(method, path, data=data, follow_redirects=False)
            if call.ends_session and role in self.cast.logins:
                self.browsers[role] = signed_in_browser(self.api, self.cast.logins[role])
            if response.status_code in (302, 303) and response.headers["location"].startswith(SIGN_IN_FORMS):
                return 401
            return response.status_code
        response = self.api.request(
            method,
            path,
            json=body,
            files=call.files,
            content=call.content,
            headers={**self.cast.headers[role], **call.headers},
            follow_redirects=False,
        )
        return response.status_code


def classify(status: int) -> Outcome:
    if status in (401, 403, 404):
        return status
    if 200 <= status < 400:
        return OK
    return status


# --- identity ---------------------------------------------------------------------------------------------------
row("POST", "/api/v1/auth/login", api("/api/v1/auth/login", json={"login": "{role}", "password": "wrong"}), cells(401))
row("GET", "/api/v1/auth/me", api("/api/v1/auth/me"), SIGNED_IN)
row("POST", "/api/v1/auth/totp/enrol", api("/api/v1/auth/totp/enrol"), SIGNED_IN)
# A wrong second factor is a failed authentication (nobody here has enrolled one).
row("POST", "/api/v1/auth/totp/confirm", api("/api/v1/auth/totp/confirm", json={"code": "000000"}),
    cells(401))  # fmt: skip
row(
    "POST",
    "/api/v1/auth/recovery-codes",
    api("/api/v1/auth/recovery-codes"),
    cells(403, anonymous=401, agency_system=401),
)
row("GET", "/api/v1/me/security-events", api("/api/v1/me/security-events"), SIGNED_IN)
# --- catalogue --------------------------------------------------------------------------------------------------
row("GET", "/api/v1/services", api("/api/v1/services"), PUBLIC)
row("GET", "/api/v1/services/{code}", api("/api/v1/services/appeal-to-hokimiyat"), PUBLIC)
row("GET", "/api/v1/agencies", api("/api/v1/agencies"), PUBLIC)
row("GET", "/api/v1/agency/services", api("/api/v1/agency/services"), cells(401, agency_system=OK))
# --- cases: the applicant ---------------------------------------------------------------------------------------
row("POST", "/api/v1/uploads", api("/api/v1/uploads", files={"file": ("a.pdf", PDF, "application/pdf")}), SIGNED_IN)
row("POST", "/api/v1/cases",
    api("/api/v1/cases", json={"service": "appeal-to-hokimiyat", "agency": "TOSHHOK", "form": APPEAL_FORM}),
    CITIZEN_ONLY)  # fmt: skip
row("GET", "/api/v1/cases", api("/api/v1/cases"), SIGNED_IN)
row("GET", "/api/v1/cases/{registration_number}", api(CASE), READ_CASE)
row("GET", "/api/v1/cases/{registration_number}/timeline", api(f"{CASE}/timeline"), READ_CASE)
row("GET", "/api/v1/cases/{registration_number}/documents", api(f"{CASE}/documents"), READ_CASE)
row("GET", "/api/v1/cases/{registration_number}/documents/{sha256}", api(f"{CASE}/documents/{{doc}}"), READ_CASE)
row("GET", "/api/v1/cases/{registration_number}/trace", api(f"{CASE}/trace"), NO_TRACE)
row("GET", "/api/v1/ledger/receipts/{registration_number}", api("/api/v1/ledger/receipts/{n}"), READ_CASE)
row("POST", "/api/v1/cases/{registration_number}/respond",
    api(f"{CASE}/respond", json={"message": "12-uy."}, fresh=True),
    cells(409, other_citizen=404, anonymous=401, agency_system=401, officer=403, head=403, auditor=403,
          other_officer=403, admin=404, archivist=404))  # fmt: skip
row(
    "POST",
    "/api/v1/cases/{registration_number}/contest",
    api(f"{CASE}/contest", json={"reason": "Rad etilishi asossiz."}, fresh=True),
    UNDECIDED,
)
row(
    "POST",
    "/api/v1/cases/{registration_number}/rating",
    api(f"{CASE}/rating", json={"score": 5}, fresh=True),
    UNDECIDED,
)
# --- cases: the body --------------------------------------------------------------------------------------------
row("GET", "/api/v1/officer/queue", api("/api/v1/officer/queue"), STAFF_ONLY)
# Taking is for the officer the case was routed to; the head moves cases (reassign) but does not take them.
row(
    "POST",
    "/api/v1/officer/cases/{registration_number}/take",
    api(f"{OFFICER}/take", json={}, fresh=True),
    {**WORK_CASE, "head": 403},
)
row(
    "POST",
    "/api/v1/officer/cases/{registration_number}/request-info",
    api(f"{OFFICER}/request-info", json={"message": "Uy raqamini aniqlashtiring."}, fresh=True),
    WORK_UNTAKEN,
)
row(
    "POST",
    "/api/v1/officer/cases/{registration_number}/forward",
    api(f"{OFFICER}/forward", json={"agency": "YUNUSHOK", "reason": "Tuman vakolatida."}, fresh=True),
    WORK_CASE,
)
row(
    "POST",
    "/api/v1/officer/cases/{registration_number}/decide",
    api(f"{OFFICER}/decide", json={"outcome": "approved", "reason": "Bajarildi."}, fresh=True),
    WORK_UNTAKEN,
)
row(
    "POST",
    "/api/v1/officer/cases/{registration_number}/close",
    api(f"{OFFICER}/close", json=REASON, fresh=True),
    WORK_UNTAKEN,
)
row(
    "POST",
    "/api/v1/officer/cases/{registration_number}/extend",
    api(f"{OFFICER}/extend", json={"kind": "study", "justification": "Qo'shimcha o'rganish kerak."}, fresh=True),
    WORK_CASE,
)
row(
    "POST",
    "/api/v1/officer/cases/{registration_number}/review",
    api(f"{OFFICER}/review", json={"result": "confirmed", "reason": "Qoida to'g'ri qo'llangan."}, fresh=True),
    WORK_UNTAKEN,
)
row("GET", "/api/v1/officer/statistics", api("/api/v1/officer/statistics"), STAFF_AND_AUDITORS)
row(
    "GET",
    "/api/v1/officer/statistics/cases",
    api("/api/v1/officer/statistics/cases?measure=received"),
    STAFF_AND_AUDITORS,
)
# --- live updates (the streams are opened through the domain: see test_streams_are_authorised) -------------------
# --- integrity --------------------------------------------------------------------------------------------------
row("GET", "/api/v1/integrity/rules", api("/api/v1/integrity/rules"), PUBLIC)
row("GET", "/api/v1/integrity/approvals", api("/api/v1/integrity/approvals"), STAFF_ONLY)
row(
    "POST",
    "/api/v1/integrity/cases/{registration_number}/approve",
    api("/api/v1/integrity/cases/{n}/approve", fresh=True),
    WORK_UNTAKEN,
)
row(
    "POST",
    "/api/v1/integrity/cases/{registration_number}/send-back",
    api("/api/v1/integrity/cases/{n}/send-back", json=REASON, fresh=True),
    WORK_UNTAKEN,
)
row("POST", "/api/v1/integrity/cases/{registration_number}/reassign",
    api("/api/v1/integrity/cases/{n}/reassign", json={"officer": "toshhok.officer2", "reason": "Yuklama."},
        fresh=True),
    cells(403, head=OK, anonymous=401, agency_system=401))  # fmt: skip
row(
    "POST",
    "/api/v1/integrity/conflicts",
    api("/api/v1/integrity/conflicts", json={"pinfl": "{bob}", "reason": "Qo'shnim."}),
    STAFF_ONLY,
)
row("GET", "/api/v1/integrity/findings", api("/api/v1/integrity/findings"), cells(403, head=OK, auditor=OK,
    anonymous=401, agency_system=401))  # fmt: skip
# No such finding: it is looked up before the policy (finding ids carry no personal data).
row("POST", "/api/v1/integrity/findings/{finding_id}/dismiss",
    api("/api/v1/integrity/findings/999999/dismiss", json=REASON),
    cells(404, anonymous=401, agency_system=401))  # fmt: skip
row("GET", "/api/v1/integrity/recusals", api("/api/v1/integrity/recusals"), cells(403, head=OK, auditor=OK,
    anonymous=401, agency_system=401))  # fmt: skip
row("GET", "/api/v1/integrity/officers", api("/api/v1/integrity/officers?agency=TOSHHOK"),
    cells(403, head=OK, auditor=OK,
    anonymous=401, agency_system=401))  # fmt: skip
# --- administration ---------------------------------------------------------------------------------------------
row(
    "POST",
    "/api/v1/admin/persons",
    api(
        "/api/v1/admin/persons",
        json={
            "pinfl": "{pinfl}",
            "last_name": "Karimova",
            "first_name": "Aziza",
            "password": "another long passphrase 42",
        },
    ),
    cells(403, admin=409, anonymous=401, agency_system=401),
)  # fmt: skip  (alice is enrolled already: 409)
row(
    "POST",
    "/api/v1/admin/accounts",
    api(
        "/api/v1/admin/accounts",
        json={
            "login": "toshhok.officer",
            "password": "another long passphrase 42",
            "role": "officer",
            "display_name": "X",
            "agency": "TOSHHOK",
        },
    ),
    cells(403, admin=409, anonymous=401, agency_system=401),
)  # fmt: skip  (the login exists: 409)
row(
    "POST",
    "/api/v1/deadlines/calendar/overrides",
    api("/api/v1/deadlines/calendar/overrides", json={"date": "2031-03-22", "kind": "day_off", "reason": "Farmon."}),
    ADMIN_ONLY,
)
row("GET", "/api/v1/admin/oidc/clients", api("/api/v1/admin/oidc/clients"), ADMIN_ONLY)
row("POST", "/api/v1/admin/oidc/clients",
    api("/api/v1/admin/oidc/clients", json={"name": "Portal", "agency": "TOSHHOK", "kind": "service",
                                            "scopes": ["catalog.read"]}),
    ADMIN_ONLY)  # fmt: skip
row(
    "POST",
    "/api/v1/admin/oidc/clients/{client_id}/secret",
    api("/api/v1/admin/oidc/clients/nobody/secret"),
    cells(403, admin=404, anonymous=401, agency_system=401),
)
row("POST", "/api/v1/admin/oidc/keys/rotate", api("/api/v1/admin/oidc/keys/rotate"), ADMIN_ONLY)
# --- archive (archive/policy.py: administrators and archivists) ------------------------------------------------
KEEPERS = cells(403, admin=OK, archivist=OK, anonymous=401, agency_system=401)
row("GET", "/api/v1/admin/archive/retention", api("/api/v1/admin/archive/retention"), KEEPERS)
row("GET", "/api/v1/admin/archive/holds", api("/api/v1/admin/archive/holds"), KEEPERS)
row("POST", "/api/v1/admin/archive/holds",
    api("/api/v1/admin/archive/holds", json={"registration_number": "{n}", "reason": "Sud so'rovi.",
                                             "authority": "Toshkent sh. sudi"}),
    KEEPERS)  # fmt: skip
row("POST", "/api/v1/admin/archive/holds/{registration_number}/{seq}/release",
    api("/api/v1/admin/archive/holds/{n}/99/release", json={"reason": "Tugadi.", "authority": "Sud"}),
    cells(403, admin=404, archivist=404, anonymous=401, agency_system=401))  # fmt: skip
row(
    "POST",
    "/api/v1/admin/archive/disposals",
    api("/api/v1/admin/archive/disposals", json={"authority": "Arxiv komissiyasi", "dry_run": True}),
    KEEPERS,
)
row("GET", "/api/v1/admin/archive/tombstones", api("/api/v1/admin/archive/tombstones"), KEEPERS)
# --- ledger (public: anyone may check the log) ------------------------------------------------------------------
for ledger_route, ledger_call in (
    ("/api/v1/ledger/checkpoint", "/api/v1/ledger/checkpoint"),
    ("/api/v1/ledger/checkpoints", "/api/v1/ledger/checkpoints"),
    ("/api/v1/ledger/status", "/api/v1/ledger/status"),
    ("/api/v1/ledger/leaves", "/api/v1/ledger/leaves?start=0&end=0"),
    ("/api/v1/ledger/public-key", "/api/v1/ledger/public-key"),
):
    row("GET", ledger_route, api(ledger_call), PUBLIC)
row(
    "GET",
    "/api/v1/ledger/proof/inclusion",
    api("/api/v1/ledger/proof/inclusion?leaf_hash=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D&tree_size=1"),
    cells(404),
)
row("GET", "/api/v1/ledger/proof/consistency", api("/api/v1/ledger/proof/consistency?first=1&second=1"), PUBLIC)
# --- notifications ----------------------------------------------------------------------------------------------
row("GET", "/api/v1/inbox", api("/api/v1/inbox"), SIGNED_IN)
row(
    "POST",
    "/api/v1/inbox/{notification_id}/read",
    api("/api/v1/inbox/999999/read"),
    cells(404, anonymous=401, agency_system=401),
)
row("GET", "/api/v1/inbox/preferences", api("/api/v1/inbox/preferences"), SIGNED_IN)
row("PUT", "/api/v1/inbox/preferences", api("/api/v1/inbox/preferences", json={"language": "uz"}), SIGNED_IN)
# --- deadlines (public arithmetic) ------------------------------------------------------------------------------
row("GET", "/api/v1/deadlines/policies", api("/api/v1/deadlines/policies"), PUBLIC)
row(
    "GET",
    "/api/v1/deadlines/calculate",
    api("/api/v1/deadlines/calculate?policy=zru445-ariza&received_at=2026-03-02T10:00:00%2B05:00"),
    PUBLIC,
)
row("GET", "/api/v1/deadlines/calendar/{year}", api("/api/v1/deadlines/calendar/2026"), PUBLIC)
# --- registries and the mediator --------------------------------------------------------------------------------
# Only agency systems query the mediator, each query signed with the system's registered key (none here).
# (an agency system's account is an officer-role account of its agency: registry_data.agency_system; the
# unsigned query is refused as forged, 401).
row(
    "POST",
    "/api/v1/mediator/{registry}/{service}",
    api(
        "/api/v1/mediator/population/family",
        json={
            "subject": "{pinfl}",
            "purpose": "child-allowance",
            "categories": ["identity", "family"],
            "request_id": "0123456789abcdef0123456789abcdef",
            "issued_at": "{now}",
        },
        headers={"X-Mediator-Key-Id": "unregistered", "X-Mediator-Signature": "AAAA"},
    ),
    cells(403, officer=401, other_officer=401, head=401, anonymous=401, agency_system=401),
)  # fmt: skip  (an agency system signs each query with its registered key; none here)
row("POST", "/api/v1/registries/{registry}/{service}/lookup",
    api("/api/v1/registries/population/address/lookup",
        json={"subject": "{pinfl}", "purpose": "appeal-handling", "categories": ["address"], "reason": "Murojaat"}),
    STAFF_ONLY)  # fmt: skip
row("GET", "/api/v1/services/{code}/prefill", api("/api/v1/services/appeal-to-hokimiyat/prefill"), CITIZEN_ONLY)
# mediator/service._ensure_auditor: auditors and administrators read the message log.
row("GET", "/api/v1/mediator/messages", api("/api/v1/mediator/messages"), {**AUDITOR_ONLY, "admin": OK})
row(
    "GET",
    "/api/v1/mediator/messages/{message_id}/verify",
    api("/api/v1/mediator/messages/999999/verify"),
    cells(403, auditor=404, admin=404, anonymous=401, agency_system=401),
)
# --- the data tracker -------------------------------------------------------------------------------------------
row("GET", "/api/v1/me/access-log", api("/api/v1/me/access-log"), CITIZEN_ONLY)
row("GET", "/api/v1/access-records", api("/api/v1/access-records?subject={pinfl}"), AUDITOR_ONLY)
row(
    "GET",
    "/api/v1/access-records/{record_id}/verify",
    api("/api/v1/access-records/00000000-0000-0000-0000-000000000000/verify"),
    cells(403, auditor=404, anonymous=401, agency_system=401),
)
row("GET", "/api/v1/me/consents", api("/api/v1/me/consents"), CITIZEN_ONLY)
row("POST", "/api/v1/me/consents",
    api("/api/v1/me/consents", json={"recipient": "SOLIQ", "purpose": "tax-benefit", "categories": ["address"],
                                     "days": 30}),
    CITIZEN_ONLY)  # fmt: skip
row("POST", "/api/v1/me/consents/{consent_id}/withdraw",
    api("/api/v1/me/consents/00000000-0000-0000-0000-000000000000/withdraw"),
    cells(403, citizen=404, other_citizen=404, anonymous=401, agency_system=401))  # fmt: skip
row("GET", "/api/v1/me/data-export", api("/api/v1/me/data-export"), CITIZEN_ONLY)
row("POST", "/api/v1/me/rectification-requests",
    api(
        "/api/v1/me/rectification-requests",
        json={"registry": "population", "field": "address.house", "correct_value": "12",
              "reason": "Uy raqami noto'g'ri yozilgan."},
    ),
    CITIZEN_ONLY)  # fmt: skip
row("GET", "/api/v1/me/destroyed", api("/api/v1/me/destroyed"), CITIZEN_ONLY)
# --- PKI --------------------------------------------------------------------------------------------------------
# The CSR names alice: only she gets a certificate from it; another citizen and the staff (who hold officer
# certificates) are refused by the name check (409); roles without certificates by the policy (403).
row(
    "POST",
    "/api/v1/pki/certificates",
    api("/api/v1/pki/certificates", json={"csr": "{csr}"}),
    cells(
        403, citizen=OK, other_citizen=409, officer=409, other_officer=409, head=409, anonymous=401, agency_system=401
    ),
)
row("GET", "/api/v1/pki/certificates", api("/api/v1/pki/certificates"), SIGNED_IN)
row(
    "GET",
    "/api/v1/pki/certificates/{serial}",
    api("/api/v1/pki/certificates/{serial}"),
    cells(404, citizen=OK, auditor=OK, admin=OK, anonymous=401, agency_system=401),
)
row(
    "POST",
    "/api/v1/pki/certificates/{serial}/renew",
    api("/api/v1/pki/certificates/{serial}/renew", json={}),
    CERTIFICATE_HOLDER,
)
row(
    "POST",
    "/api/v1/pki/certificates/{serial}/revoke",
    api("/api/v1/pki/certificates/{serial}/revoke", json={}),
    CERTIFICATE_HOLDER,
)
row("POST", "/api/v1/pki/rotations", api("/api/v1/pki/rotations", json={"kind": "ocsp_responder"}), ADMIN_ONLY)
row(
    "POST",
    "/api/v1/pki/cloud-keys",
    api("/api/v1/pki/cloud-keys", json={"totp": "000000"}),
    CLOUD_SIGNERS,
)
row(
    "POST",
    "/api/v1/pki/cloud-sign",
    api("/api/v1/pki/cloud-sign", json={"payload": {"a": 1}, "totp": "000000"}),
    CLOUD_SIGNERS,
)
row(
    "POST",
    "/api/v1/verify",
    api("/api/v1/verify", files={"file": ("a.pdf", PDF, "application/pdf")}),
    PUBLIC,
)
for pki_path in ("/pki/ca.pem", "/pki/ca.der", "/pki/issuing-ca.der", "/pki/chain.pem", "/pki/crl.der",
                 "/pki/root-crl.der"):  # fmt: skip
    row("GET", pki_path, api(pki_path), PUBLIC)
row("GET", "/pki/issuing/{serial}/ca.der", api("/pki/issuing/00/ca.der"), cells(404))
row("GET", "/pki/issuing/{serial}/crl.der", api("/pki/issuing/00/crl.der"), cells(404))
row(
    "POST",
    "/pki/ocsp",
    api("/pki/ocsp", content=b"\x30\x00", headers={"content-type": "application/ocsp-request"}),
    cells(OK),
)  # RFC 6960: a malformed request is answered 200 with the malformedRequest status
# RFC 3161 §2.4.2: a bad request is answered with a TimeStampResp whose status is 'rejection'.
row(
    "POST",
    "/pki/tsa",
    api("/pki/tsa", content=b"\x30\x00", headers={"content-type": "application/timestamp-query"}),
    cells(OK),
)
# --- statistics and open data (public) --------------------------------------------------------------------------
for stats_path in ("/api/v1/statistics", "/api/v1/statistics.csv", "/api/v1/statistics/dictionary"):
    row("GET", stats_path, api(stats_path), PUBLIC)
# --- Open311 GeoReport v2 (public; the api_key is the citizen's token) ------------------------------------------
for open311_route, open311_call in (
    ("/open311/v2/discovery.{fmt}", "/open311/v2/discovery.json"),
    ("/open311/v2/services.{fmt}", "/open311/v2/services.json"),
    ("/open311/v2/services/{code}.{fmt}", "/open311/v2/services/street-lighting.json"),
    ("/open311/v2/requests.{fmt}", "/open311/v2/requests.json"),
):
    row("GET", open311_route, api(open311_call), PUBLIC)
# Open311 shows only requests made through Open311, to everyone alike; the seeded appeal is not one.
row("GET", "/open311/v2/requests/{number}.{fmt}", api("/open311/v2/requests/{n}.json"), cells(404))
row("GET", "/open311/v2/tokens/{token}.{fmt}", api("/open311/v2/tokens/nothing.json"), cells(400))
# GeoReport v2 checks the request's parameters before its api_key.
row("POST", "/open311/v2/requests.{fmt}", api("/open311/v2/requests.json"), cells(400))
# --- operations -------------------------------------------------------------------------------------------------
for ops_path in ("/healthz", "/readyz", "/api/v1/openapi.json", "/api/v1/docs", "/docs/oauth2-redirect"):
    row("GET", ops_path, api(ops_path), PUBLIC)
# --- OpenID Connect provider (protocol endpoints: the client's credentials authorize, not the caller's role) ----
row("GET", "/.well-known/openid-configuration", api("/.well-known/openid-configuration"), PUBLIC)
row("GET", "/oauth/jwks", api("/oauth/jwks"), PUBLIC)
row("GET", "/oauth/authorize", page("/oauth/authorize"), cells(400))
row("POST", "/oauth/authorize", page("/oauth/authorize", form={}), form(cells(400)))
row("POST", "/oauth/token", api("/oauth/token", content=b"grant_type=client_credentials",
    headers={"content-type": "application/x-www-form-urlencoded"}), cells(401))  # fmt: skip
row("POST", "/oauth/revoke", api("/oauth/revoke", content=b"token=x",
    headers={"content-type": "application/x-www-form-urlencoded"}), cells(401))  # fmt: skip
row("GET", "/oauth/userinfo", api("/oauth/userinfo"), cells(401))
row("POST", "/oauth/userinfo", api("/oauth/userinfo"), cells(401))
row("GET", "/oauth/end-session", page("/oauth/end-session"), PAGE_PUBLIC)
row("GET", "/oauth/sign-in", page("/oauth/sign-in"), PAGE_PUBLIC)
# A wrong password sends the browser back to the form with the error (a redirect, not a refusal status).
row("POST", "/oauth/sign-in", page("/oauth/sign-in", form={"login": "bob", "password": "wrong"}), form(cells(OK)))
# JSON endpoints of the WebAuthn script: the body is checked first (the flow itself: test_oidc.py).
row("POST", "/oauth/sign-in/security-key", api("/oauth/sign-in/security-key", json={}), cells(422))
row("GET", "/oauth/upstream/start", page("/oauth/upstream/start"), cells(404))
row("GET", "/oauth/upstream/callback", page("/oauth/upstream/callback"), cells(404))
# The old address of the account-security page: a permanent redirect to /account for everyone.
row("GET", "/oauth/security", page("/oauth/security"), cells(OK))
row(
    "POST",
    "/oauth/security-keys/options",
    page("/oauth/security-keys/options", form={}),
    cells(422),
)
row("POST", "/oauth/security-keys", page("/oauth/security-keys", form={}), cells(422))
# --- portal pages (a browser session per role) ------------------------------------------------------------------
SIGNED_IN_PAGE = cells(OK, anonymous=401, agency_system=401)
for public_page in ("/", "/deadlines", "/verify", "/transparency", "/statistics", "/statistics/egdi", "/login"):
    row("GET", public_page, page(public_page), PAGE_PUBLIC)
row("GET", "/services/{code}", page("/services/appeal-to-hokimiyat"), PAGE_PUBLIC)
row("POST", "/login", page("/login", form={"login": "{role}", "password": "wrong"}, own_form=True), cells(401))
# Public forms, sent empty: the same answer for everyone.
row("POST", "/verify", page("/verify", form={}), cells(422))
row("POST", "/transparency", page("/transparency", form={"leaf_hash": "x"}), cells(422))
row("GET", "/account", page("/account"), SIGNED_IN_PAGE)
row("GET", "/inbox", page("/inbox"), SIGNED_IN_PAGE)
row(
    "POST",
    "/inbox/{notification_id}/read",
    page("/inbox/999999/read", form={}),
    form(cells(404)),
)
row("GET", "/my-data", page("/my-data"), cells(403, citizen=OK, other_citizen=OK, anonymous=401, agency_system=401))
row("GET", "/cases", page("/cases"), SIGNED_IN_PAGE)
row("GET", "/cases/{number}", page("/cases/{n}"), READ_CASE)
row("GET", "/cases/{number}/receipt", page("/cases/{n}/receipt"), READ_CASE)
row("GET", "/cases/{number}/documents/{sha256}", page("/cases/{n}/documents/{doc}"), READ_CASE)
row("GET", "/cases/{number}/trace", page("/cases/{n}/trace"), NO_TRACE)
row("POST", "/cases/{number}/respond", page("/cases/{n}/respond", form={"message": "12-uy."}, fresh=True),
    form({**READ_CASE, "citizen": 409, "officer": 403, "head": 403, "auditor": 403}))  # fmt: skip
row(
    "POST",
    "/cases/{number}/contest",
    page("/cases/{n}/contest", form={"reason": "Asossiz."}, fresh=True),
    form(UNDECIDED),
)
row("GET", "/services/{code}/apply", page("/services/appeal-to-hokimiyat/apply"), SIGNED_IN_PAGE)
# The review step only shows what was typed (nothing is stored); the policy acts at submission.
row("POST", "/services/{code}/apply", page("/services/appeal-to-hokimiyat/apply", form=PAGE_APPEAL), form(SIGNED_IN))
# The page's form is checked before the submission (the form's schema is public; POST /api/v1/cases holds
# the policy cell with a valid form).
row(
    "POST",
    "/services/{code}/submit",
    page("/services/appeal-to-hokimiyat/submit", form=PAGE_APPEAL),
    form(cells(422, anonymous=401, agency_system=401)),
)
row("GET", "/officer", page("/officer"), STAFF_ONLY)
# The deadline board: the body's staff (numbers, services, deadlines; no applicant data).
row("GET", "/officer/board", page("/officer/board"), STAFF_ONLY)
# The officer's case page reads the case like the API: the applicant and auditors see it too.
row("GET", "/officer/cases/{number}", page("/officer/cases/{n}"), READ_CASE)
row(
    "POST",
    "/officer/cases/{number}/take",
    page("/officer/cases/{n}/take", form={}, fresh=True),
    {**PAGE_WORK, "head": 403},
)
row(
    "POST",
    "/officer/cases/{number}/request-info",
    page("/officer/cases/{n}/request-info", form={"message": "Aniqlashtiring."}, fresh=True),
    PAGE_WORK_UNTAKEN,
)
row(
    "POST",
    "/officer/cases/{number}/forward",
    page("/officer/cases/{n}/forward", form={"agency": "YUNUSHOK", "forward-reason": "Tuman vakolatida."}, fresh=True),
    PAGE_WORK,
)
row(
    "POST",
    "/officer/cases/{number}/extend",
    page("/officer/cases/{n}/extend", form={"kind": "study", "justification": "O'rganish kerak."}, fresh=True),
    PAGE_WORK,
)
row(
    "POST",
    "/officer/cases/{number}/decide",
    page("/officer/cases/{n}/decide", form={"outcome": "approved", "reason": "Bajarildi."}, fresh=True),
    PAGE_WORK_UNTAKEN,
)
row(
    "POST",
    "/officer/cases/{number}/close",
    page("/officer/cases/{n}/close", form=REASON, fresh=True),
    PAGE_WORK_UNTAKEN,
)
# --- pages and routes added in the second merge round (personal data, portal, statistics, automation) ----------
CITIZEN_PAGE = cells(403, citizen=OK, other_citizen=OK, anonymous=401, agency_system=401)
ADMIN_PAGE = cells(403, admin=OK, anonymous=401, agency_system=401)
MISSING = "00000000-0000-4000-8000-000000000000"
for public_page in ("/about", "/help"):
    row("GET", public_page, page(public_page), PAGE_PUBLIC)
for admin_page in ("/admin", "/admin/agencies", "/admin/calendar", "/admin/packages", "/admin/users"):
    row("GET", admin_page, page(admin_page), ADMIN_PAGE)
for admin_form in ("/admin/calendar", "/admin/packages", "/admin/users", "/admin/users/role"):
    row("POST", admin_form, page(admin_form, form={}), form(cells(403, admin=422)))
row("POST", "/admin/users/active", page("/admin/users/active", form={}), form(cells(403, admin=404)))  # no such user
for data_page in ("/my-data/consents", "/my-data/export.json", "/my-data/export.pdf"):
    row("GET", data_page, page(data_page), CITIZEN_PAGE)
# The pages that explain the export and the rectification form are open to any signed-in account.
for data_page in ("/my-data/export", "/my-data/rectification"):
    row("GET", data_page, page(data_page), SIGNED_IN_PAGE)
# Page forms check what was typed before the policy (fuzz note in docs/security.md): an empty form is 422 for
# everyone signed in; the API rows hold the policy cells.
FORM_FIRST = form(cells(422))
row("GET", "/my-data/consents/{consent_id}/receipt", page(f"/my-data/consents/{MISSING}/receipt"),
    cells(403, citizen=404, other_citizen=404, anonymous=401, agency_system=401))  # fmt: skip
row("POST", "/my-data/consents", page("/my-data/consents", form={}), form(cells(403, citizen=422, other_citizen=422)))
row("POST", "/my-data/consents/{consent_id}/withdraw", page(f"/my-data/consents/{MISSING}/withdraw", form={}),
    form(cells(403, citizen=404, other_citizen=404)))  # fmt: skip
row("POST", "/my-data/rectification", page("/my-data/rectification", form={}), FORM_FIRST)
POLICY_READERS = cells(403, admin=OK, auditor=OK, anonymous=401, agency_system=401)
BODY_FIRST = cells(422, anonymous=401, agency_system=401)  # FastAPI checks the JSON body before the handler
row("GET", "/api/v1/mediator/policies", api("/api/v1/mediator/policies"), POLICY_READERS)
row("GET", "/api/v1/mediator/policies/{policy_id}/changes", api("/api/v1/mediator/policies/999999/changes"),
    {**POLICY_READERS, "admin": 404, "auditor": 404})  # fmt: skip
row("POST", "/api/v1/mediator/policies", api("/api/v1/mediator/policies", json={}), BODY_FIRST)  # fmt: skip
row("PATCH", "/api/v1/mediator/policies/{policy_id}", api("/api/v1/mediator/policies/999999", json={}),
    BODY_FIRST)  # fmt: skip
row("POST", "/api/v1/mediator/policies/{policy_id}/revoke",
    api("/api/v1/mediator/policies/999999/revoke", json={}), BODY_FIRST)  # fmt: skip
row("GET", "/api/v1/statistics/integrity", api("/api/v1/statistics/integrity"), PUBLIC)
row("GET", "/api/v1/statistics/integrity.csv", api("/api/v1/statistics/integrity.csv"), PUBLIC)
row("GET", "/officer/statistics", page("/officer/statistics"), STAFF_AND_AUDITORS)
# Without the figure's filters the list is refused naming them (the dashboard's links carry them).
row("GET", "/officer/statistics/cases", page("/officer/statistics/cases"), cells(422, anonymous=401, agency_system=401))
row("GET", "/officer/conflicts", page("/officer/conflicts"), STAFF_ONLY)
row("POST", "/officer/conflicts", page("/officer/conflicts", form={}), FORM_FIRST)
row("GET", "/cases/{number}/decision", page("/cases/{n}/decision"), READ_CASE)  # "no decision yet" for readers
row("POST", "/cases/{number}/rating", page("/cases/{n}/rating", form={"score": "5"}, fresh=True), form(UNDECIDED))
# Four-eyes and reassignment on the officer's case page: a fresh case has no proposal to approve.
row("POST", "/officer/cases/{number}/approve", page("/officer/cases/{n}/approve", form={}, fresh=True),
    PAGE_WORK_UNTAKEN)  # fmt: skip
FORM_FIRST_WORK = {**PAGE_WORK, "citizen": 422, "officer": 422, "head": 422, "auditor": 422}
row("POST", "/officer/cases/{number}/send-back", page("/officer/cases/{n}/send-back", form=REASON, fresh=True),
    FORM_FIRST_WORK)  # fmt: skip
row("POST", "/officer/cases/{number}/reassign", page("/officer/cases/{n}/reassign",
    form={"officer": "toshhok.officer2", "reason": "Yuklama."}, fresh=True), FORM_FIRST_WORK)  # fmt: skip
# The review page of an automated decision: the seeded case is no review (test_automation_review.py).
row("GET", "/officer/reviews/{number}", page("/officer/reviews/{n}"), NO_TRACE)
NOT_A_REVIEW = {**PAGE_WORK, "citizen": 404, "officer": 404, "head": 404, "auditor": 404}
for review_form in ("review", "approve", "send-back"):
    row("POST", f"/officer/reviews/{{number}}/{review_form}", page(f"/officer/reviews/{{n}}/{review_form}",
        form=REASON, fresh=True), NOT_A_REVIEW)  # fmt: skip
row(
    "GET",
    "/integrity/findings",
    page("/integrity/findings"),
    cells(403, head=OK, auditor=OK, anonymous=401, agency_system=401),
)
row(
    "GET",
    "/integrity/officers",
    page("/integrity/officers?agency=TOSHHOK"),
    cells(403, head=OK, auditor=OK, anonymous=401, agency_system=401),
)
# Last: these end the role's browser session (or may: recovery codes need a second factor first).
# New recovery codes need a session that proved a second factor (docs/oidc.md); nobody here has one.
row(
    "POST",
    "/oauth/security/{action:path}",
    page("/oauth/security/recovery-codes", form={}, ends_session=True),
    form(cells(403)),
)
row("POST", "/oauth/end-session", page("/oauth/end-session", form={}, ends_session=True), form(cells(OK)))
row(
    "POST",
    "/account/sign-ins/{token_id}/end",
    page("/account/sign-ins/999999/end", form={}, ends_session=True),
    form(cells(404)),
)
row("POST", "/logout", page("/logout", form={}, ends_session=True), form(cells(OK)))
row("POST", "/api/v1/auth/logout", api("/api/v1/auth/logout"), SIGNED_IN)

# Server-sent event streams never end; the route's first act is the domain call that authorises (and records).
STREAMS: dict[tuple[str, str], dict[str, Outcome]] = {
    ("GET", "/api/v1/cases/{registration_number}/events"): READ_CASE,
    ("GET", "/api/v1/officer/queue/events"): STAFF_ONLY,
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The matrix signs every role in many times from one address, and sends wrong passwords on purpose: the
    per-address sign-in throttle (tested in test_oidc.py) would answer 429 to the cells after them."""
    return settings.model_copy(update={"login_max_failures_per_address": 100_000})


def _templated(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return values.get(value, value)
    if isinstance(value, dict):
        return {k: _templated(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_templated(v, values) for v in value]
    return value


def signed_in_browser(api: TestClient, login: str | None) -> TestClient:
    """A browser of its own (cookies), signed in to the portal unless ``login`` is None."""
    browser = TestClient(api.app, base_url="https://testserver", raise_server_exceptions=False)
    if login is not None:
        assert sign_in(browser, login).status_code == 303
    return browser


@pytest.fixture
def bench(client: TestClient, world: World) -> Bench:
    registry_data.load(world)  # the population registry and the mediator's access policies (officer look-ups)
    cast = assemble(client, world)
    other = "toshhok.officer2" if cast.logins["officer"] == "toshhok.officer" else "toshhok.officer"
    cast.logins["officer2"] = other
    cast.headers["officer2"] = token(client, other)
    api = TestClient(client.app, base_url="https://testserver", raise_server_exceptions=False)
    browsers = {role: signed_in_browser(api, cast.logins.get(role)) for role in (*ROLES, "officer2")}
    return Bench(cast, api, browsers, world.platform.settings.secret_key, csr())


def test_every_route_has_a_row(client: TestClient) -> None:
    routes = app_routes(client)
    declared = set(MATRIX) | set(STREAMS)
    assert not routes - declared, f"declare who may call these routes: {sorted(routes - declared)}"
    assert not declared - routes, f"rows for routes that are gone: {sorted(declared - routes)}"
    assert all(set(outcomes) == set(ROLES) for _, outcomes in MATRIX.values())


def test_every_cell_of_the_matrix(bench: Bench) -> None:
    wrong = []
    cells_run = 0
    for (method, route), (call, outcomes) in MATRIX.items():
        for role in ROLES:
            status = bench.run(method, call, role, outcomes[role])
            cells_run += 1
            if classify(status) != outcomes[role]:
                wrong.append(f"{method} {route} as {role}: expected {outcomes[role]}, got {status}")
    assert cells_run == len(MATRIX) * len(ROLES)
    assert not wrong, "\n".join(wrong)


def test_streams_are_authorised(bench: Bench) -> None:
    """A stream is opened by the domain before the first byte; the refusals come from there (or, unsigned, from
    the route's sign-in requirement, which answers at once)."""
    live = bench.cast.world.platform.live
    opens: dict[tuple[str, str], Callable[[Any], Any]] = {
        ("GET", "/api/v1/cases/{registration_number}/events"): lambda actor: live.open_case_stream(
            actor, bench.cast.number, None
        ),
        ("GET", "/api/v1/officer/queue/events"): lambda actor: live.open_queue_stream(actor, None),
    }
    paths = {
        ("GET", "/api/v1/cases/{registration_number}/events"): f"/api/v1/cases/{bench.cast.number}/events",
        ("GET", "/api/v1/officer/queue/events"): "/api/v1/officer/queue/events",
    }
    wrong = []
    for route, outcomes in STREAMS.items():
        for role in ROLES:
            if role in bench.cast.logins:
                actor = bench.cast.world.actors[bench.cast.logins[role]]
                try:
                    opens[route](actor)
                    outcome: Outcome = OK
                except DomainError as error:
                    outcome = classify(error.status)
            else:
                outcome = classify(bench.cast.client.get(paths[route], headers=bench.cast.headers[role]).status_code)
            if outcome != outcomes[role]:
                wrong.append(f"{route} as {role}: expected {outcomes[role]}, got {outcome}")
    assert not wrong, "\n".join(wrong)
