"""Assurance levels per service (issue 5, part 4): a service package declares the level an application needs
(``assurance_level`` in ``service.yaml``, validated by the catalogue loader); a person whose sign-in is below
it is asked to step up. The rule is one comparison, kept here so the portal and the API cannot differ.

A credential's level is the one recorded when it was issued or last raised (``session_assurance``): a browser
session at its sign-in steps, an API token at its login (password, optionally a second factor). A credential
with no recorded level counts as ``low`` — a password is all it proves.
"""

from __future__ import annotations

from shaffof.errors import Forbidden
from shaffof.oidc.models import Assurance

STEP_UP_PATH = "/oauth/sign-in"


class AssuranceTooLow(Forbidden):
    """The sign-in is below the level the service needs: step up (a second factor, then a signature)."""

    code = "assurance-too-low"
    title = "This service needs a stronger sign-in"


def ensure_level(needed: Assurance, current: Assurance, service_code: str) -> None:
    """Refuse an application for ``service_code`` made with a sign-in below ``needed``; the problem names both
    levels and where to step up."""
    if current.rank >= needed.rank:
        return
    how = (
        "confirm a second factor (an authenticator code, a security key or a recovery code)"
        if needed is Assurance.substantial
        else "confirm a second factor and sign the sign-in challenge with your signing certificate"
    )
    over_api = (
        "; over the API, sign in again with the second factor's code ('second_factor')"
        if needed is Assurance.substantial
        else "; the signature step is taken in the browser"
    )
    raise AssuranceTooLow(
        f"The service {service_code!r} needs the sign-in level {needed.value!r}; this sign-in is at "
        f"{current.value!r}. Step up: {how} ({STEP_UP_PATH}?level={needed.value}){over_api}.",
        required_acr=needed.value,
        current_acr=current.value,
        service=service_code,
    )
