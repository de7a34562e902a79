"""``shaffof oidc client add|list|rotate-secret`` and ``shaffof oidc keys rotate`` (the console acts as the
operator: whoever runs these holds the database and the PKI passphrase)."""

from __future__ import annotations

import contextlib
import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from shaffof.platform import Platform

app = typer.Typer(help="The OpenID Connect provider: clients of agencies, signing keys.", no_args_is_help=True)
client_app = typer.Typer(help="Register agency applications and systems.", no_args_is_help=True)
keys_app = typer.Typer(help="ID-token signing keys.", no_args_is_help=True)
app.add_typer(client_app, name="client")
app.add_typer(keys_app, name="keys")


def _platform() -> Platform:
    from shaffof.cli.main import _settings
    from shaffof.platform import Platform

    with contextlib.redirect_stdout(sys.stderr):  # stdout carries only the command's JSON
        return Platform.build(_settings())


def _fail(message: str) -> typer.Exit:
    from shaffof.cli.main import errors

    errors.print(f"[red]{message}[/red]", highlight=False)
    return typer.Exit(1)


def _problem(error: Exception) -> str:
    from shaffof.errors import DomainError

    assert isinstance(error, DomainError)
    fields = "; ".join(f"{e.path}: {e.message}" for e in error.errors)
    return f"{error.detail} {fields}".strip()


@client_app.command("add")
def client_add(
    name: Annotated[str, typer.Option(help="shown to people on the consent screen")],
    agency: Annotated[str, typer.Option(help="agency code, e.g. TOSHHOK")],
    kind: Annotated[str, typer.Option(help="'web' (people sign in) or 'service' (client credentials)")] = "web",
    redirect_uri: Annotated[list[str] | None, typer.Option(help="exact redirect URI (repeatable)")] = None,
    post_logout_redirect_uri: Annotated[list[str] | None, typer.Option(help="after logout (repeatable)")] = None,
    scope: Annotated[list[str] | None, typer.Option(help="allowed scope (repeatable)")] = None,
    acr: Annotated[str, typer.Option(help="minimum assurance: low, substantial, high")] = "low",
    rate_limit: Annotated[int, typer.Option(help="requests a minute (service clients)")] = 600,
) -> None:
    """Register a client; prints its client_id and secret once (as JSON)."""
    from shaffof.catalog import service as catalog
    from shaffof.errors import DomainError
    from shaffof.oidc.clients import ClientRegistration
    from shaffof.oidc.models import Assurance, ClientKind

    if kind not in ClientKind.__members__ or acr not in Assurance.__members__:
        raise _fail("--kind is 'web' or 'service'; --acr is 'low', 'substantial' or 'high'.")
    platform = _platform()
    try:
        with platform.db.reading() as session:
            agency_id = catalog.get_agency_by_code(session, agency).id
        issued = platform.oidc.register_client(
            None,
            ClientRegistration(
                name=name,
                agency_id=agency_id,
                kind=ClientKind(kind),
                redirect_uris=tuple(redirect_uri or ()),
                post_logout_redirect_uris=tuple(post_logout_redirect_uri or ()),
                scopes=tuple(scope or (("openid",) if kind == "web" else ())),
                required_acr=Assurance(acr),
                rate_limit_per_minute=rate_limit,
            ),
        )
    except DomainError as error:
        raise _fail(_problem(error)) from None
    finally:
        platform.db.dispose()
    print(json.dumps({"client_id": issued.client_id, "client_secret": issued.client_secret}, indent=2))


@client_app.command("list")
def client_list() -> None:
    """The registered clients (never their secrets)."""
    platform = _platform()
    try:
        rows = platform.oidc.list_clients(None)
    finally:
        platform.db.dispose()
    for row in rows:
        uris = " ".join(row.redirect_uris) or "-"
        print(
            f"{row.client_id}\t{row.kind.value}\t{row.required_acr.value}\t{' '.join(row.scopes)}\t{uris}\t{row.name}"
        )


@client_app.command("rotate-secret")
def client_rotate(client_id: str) -> None:
    """A new secret (printed once); the previous one keeps working for seven days."""
    from shaffof.errors import DomainError

    platform = _platform()
    try:
        issued = platform.oidc.rotate_client_secret(None, client_id)
    except DomainError as error:
        raise _fail(_problem(error)) from None
    finally:
        platform.db.dispose()
    print(json.dumps({"client_id": issued.client_id, "client_secret": issued.client_secret}, indent=2))


@keys_app.command("rotate")
def keys_rotate() -> None:
    """A new ID-token signing key; the old one stays in the JWKS until its tokens have expired."""
    platform = _platform()
    try:
        kid = platform.oidc.rotate_signing_key(None)
    finally:
        platform.db.dispose()
    print(kid)
