"""Review and sign in the portal without JavaScript: for a service that takes only signed applications, the
review page shows the exact canonical text the applicant signs with their own key; the signature file they
upload is verified by the cases domain when the application is filed, and nothing is filed without a valid
one."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from tests.factories import World, token
from tests.integration.portal.pages import csrf, hidden, sign_in
from tests.integration.test_signed_submission import (  # noqa: F401 (signing_world: the fixture)
    case_count,
    certify,
    sign,
    signing_world,
)


@pytest.mark.usefixtures("signing_world")
def test_the_applicant_signs_the_text_the_review_page_shows(client: TestClient, world: World) -> None:
    key, chain = certify(client, token(client, "alice"))
    sign_in(client, "alice")
    form = client.get("/services/tax-id-certificate/apply", params={"lang": "en"})
    review = client.post(
        "/services/tax-id-certificate/apply",
        data={"csrf_token": csrf(form), "f-purpose": "employer", "f-language": "uz"},
    )
    assert review.status_code == 200 and "Sign your application" in review.text
    found = re.search(r'<textarea id="to-sign" rows="4" readonly>([^<]*)</textarea>', review.text)
    assert found
    to_sign = json.loads(unescape(found.group(1)))
    assert to_sign["service"] == "tax-id-certificate" and to_sign["form"] == {"purpose": "employer", "language": "uz"}
    fields = {
        "csrf_token": csrf(review),
        "payload": hidden(review, "payload")[0],
        "agency": hidden(review, "agency")[0],
        "idempotency_key": hidden(review, "idempotency_key")[0],
    }

    def submit(signature: str | None) -> int:
        files = {"signature": ("application.jws", signature.encode(), "application/jose")} if signature else None
        response = client.post("/services/tax-id-certificate/submit", data=fields, files=files, follow_redirects=False)
        return response.status_code

    before = case_count(world)
    assert submit(None) == 422 and case_count(world) == before  # unsigned: refused, nothing filed
    other = sign(key, chain, {**to_sign, "form": {"purpose": "bank", "language": "uz"}})
    assert submit(other) == 422 and case_count(world) == before  # a signature over other answers
    assert submit(sign(key, chain, to_sign)) == 303 and case_count(world) == before + 1
