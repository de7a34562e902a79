"""``shaffof mediator seal|member-add|policies`` and ``shaffof keys rotate`` (the console is trusted as the
operator: whoever runs these holds the database and the keys)."""

from __future__ import annotations

import base64
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from shaffof.platform import Platform

app = typer.Typer(help="The information mediator: seal the message log, member keys, policies.", no_args_is_help=True)
keys_app = typer.Typer(help="Keys of the encrypted personal-data fields.", no_args_is_help=True)


def _platform() -> Platform:
    from shaffof.cli.main import _settings
    from shaffof.platform import Platform

    with contextlib.redirect_stdout(sys.stderr):
        return Platform.build(_settings())


@app.command("seal")
def seal() -> None:
    """Seal the unsealed message-log entries into a batch timestamped by the platform TSA."""
    from shaffof.cli.main import console, errors
    from shaffof.errors import DomainError

    platform = _platform()
    try:
        batch = platform.mediator.seal()
    except DomainError as error:
        errors.print(f"[yellow]{error.detail}[/yellow]")
        raise typer.Exit(0 if error.code == "nothing-to-seal" else 1) from None
    console.print(
        f"Batch {batch.id}: {batch.size} entries, root {batch.root_hash}, "
        f"sealed {batch.sealed_at:%Y-%m-%d %H:%M:%S} UTC."
    )


@app.command("member-add")
def member_add(
    agency: Annotated[str, typer.Argument(help="agency code, e.g. IJTIMOIY")],
    public_key: Annotated[Path, typer.Argument(help="the agency system's Ed25519 public key (PEM)")],
) -> None:
    """Register an agency system's request-signing key; prints its key id (send it as X-Mediator-Key-Id)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

    from shaffof.cli.main import console, errors
    from shaffof.mediator.admin import register_member

    key = load_pem_public_key(public_key.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        errors.print("[red]The key must be an Ed25519 public key (openssl genpkey -algorithm ed25519).[/red]")
        raise typer.Exit(1)
    platform = _platform()
    with platform.db.uow() as uow:
        key_id = register_member(uow.session, agency, key.public_bytes(Encoding.Raw, PublicFormat.Raw))
        uow.commit()
    console.print(key_id)


@app.command("policies")
def policies(
    demo: Annotated[bool, typer.Option("--demo", help="install the demo policies first")] = False,
) -> None:
    """List the access policies (deny by default: nothing else is allowed)."""
    import sqlalchemy as sa

    from shaffof.catalog import service as catalog
    from shaffof.cli.main import console
    from shaffof.mediator.admin import DEMO_POLICIES, add_policies
    from shaffof.mediator.models import AccessPolicy

    platform = _platform()
    if demo:
        with platform.db.uow() as uow:
            add_policies(uow.session, DEMO_POLICIES)
            uow.commit()
    with platform.db.reading() as session:
        codes = catalog.agency_codes(session)
        for row in session.scalars(sa.select(AccessPolicy).order_by(AccessPolicy.consumer_agency_id, AccessPolicy.id)):
            console.print(
                f"{codes[row.consumer_agency_id]:<10} {row.registry_code}/{row.service:<10} {row.purpose:<22} "
                f"{','.join(row.categories):<20} {row.legal_ground.value:<17} log={row.logging.value}"
                f"{'' if row.active else ' (inactive)'}",
                highlight=False,
            )


@keys_app.command("rotate")
def rotate() -> None:
    """Rewrap every encrypted field's data key under the first key of SHAFFOF_FIELD_KEYS (online: readers
    keep working; afterwards the older keys can leave the ring)."""
    from rich.progress import Progress

    from shaffof.cli.main import console

    platform = _platform()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("rewrapping", total=None)
        done = platform.registries.rotate_keys(progress=lambda count: progress.update(task, completed=count))
    console.print(f"{done} field(s) rewrapped under key {platform.registries.cipher.active_key_id!r}.")


@keys_app.command("generate")
def generate() -> None:
    """Print a new random field key (id:base64) to put first in SHAFFOF_FIELD_KEYS."""
    import datetime as dt
    import os

    typer.echo(f"k{dt.datetime.now(dt.UTC):%Y%m%d}:{base64.b64encode(os.urandom(32)).decode()}")
