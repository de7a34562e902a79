"""``shaffof mediator seal|member-add|policies`` and ``shaffof keys rotate`` (the console is trusted as the
operator: whoever runs these holds the database and the keys)."""

from __future__ import annotations

import base64
import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

if TYPE_CHECKING:
    from shaffof.mediator.policies import Operator
    from shaffof.mediator.schemas import PolicyPublic
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
                f"{row.id:>4} {codes[row.consumer_agency_id]:<10} {row.registry_code}/{row.service:<10} "
                f"{row.purpose:<22} "
                f"{','.join(row.categories):<20} {row.legal_ground.value:<17} log={row.logging.value}"
                f"{'' if row.active else ' (revoked)'}",
                highlight=False,
                soft_wrap=True,
            )


def _operator() -> Operator:
    import getpass

    from shaffof.mediator.policies import Operator

    return Operator(f"console:{getpass.getuser()}"[:100])


def _policy_command(run: Callable[[Platform], PolicyPublic]) -> None:
    """Run one policy change; a refusal prints the reason and each field at fault, and exits 1."""
    from shaffof.cli.main import console, errors
    from shaffof.errors import DomainError

    platform = _platform()
    try:
        row = run(platform)
    except DomainError as error:
        errors.print(f"[red]{error.detail}[/red]", highlight=False)
        for field in error.errors:
            errors.print(f"  {field.path}: {field.message}", highlight=False)
        raise typer.Exit(1) from None
    except ValidationError as error:
        for problem in error.errors():
            errors.print(f"  {'/'.join(str(p) for p in problem['loc'])}: {problem['msg']}", highlight=False)
        raise typer.Exit(1) from None
    console.print(
        f"Policy {row.id}: {row.consumer} {row.registry}/{row.service} {row.purpose!r} "
        f"{','.join(row.categories)} {row.legal_ground.value} log={row.logging.value}"
        f"{'' if row.active else ' (revoked)'}",
        highlight=False,
        soft_wrap=True,
    )


Reason = Annotated[str, typer.Option("--reason", help="why (kept in the policy's history)")]


@app.command("policy-add")
def policy_add(
    consumer: Annotated[str, typer.Argument(help="consumer agency code, e.g. IJTIMOIY")],
    registry: Annotated[str, typer.Argument(help="population, property or business")],
    service: Annotated[str, typer.Argument(help="the registry service, e.g. family")],
    purpose: Annotated[str, typer.Argument(help="the purpose the consumer states in its queries")],
    categories: Annotated[str, typer.Option("--categories", help="comma-separated, e.g. identity,family")],
    legal_ground: Annotated[str, typer.Option("--ground", help="ZRU-547 Art. 18 ground")] = "legal_obligation",
    logging: Annotated[str, typer.Option("--logging", help="full, metadata or none")] = "metadata",
    reason: Reason = "",
) -> None:
    """Add an access policy (logged with the console user and the reason)."""
    from shaffof.mediator.schemas import PolicyCreate

    def run(platform: Platform) -> PolicyPublic:
        command = PolicyCreate.model_validate(
            {
                "consumer": consumer,
                "registry": registry,
                "service": service,
                "purpose": purpose,
                "categories": [c.strip() for c in categories.split(",") if c.strip()],
                "legal_ground": legal_ground,
                "logging": logging,
                "reason": reason,
            }
        )
        return platform.policies.add(_operator(), command)

    _policy_command(run)


@app.command("policy-change")
def policy_change(
    policy_id: Annotated[int, typer.Argument(help="the policy's id (shaffof mediator policies)")],
    categories: Annotated[str | None, typer.Option("--categories", help="comma-separated")] = None,
    legal_ground: Annotated[str | None, typer.Option("--ground")] = None,
    logging: Annotated[str | None, typer.Option("--logging", help="full, metadata or none")] = None,
    reason: Reason = "",
) -> None:
    """Change a policy's categories, legal ground or logging level (logged with the reason)."""
    from shaffof.mediator.schemas import PolicyUpdate

    def run(platform: Platform) -> PolicyPublic:
        values: dict[str, object] = {"reason": reason}
        if categories is not None:
            values["categories"] = [c.strip() for c in categories.split(",") if c.strip()]
        if legal_ground is not None:
            values["legal_ground"] = legal_ground
        if logging is not None:
            values["logging"] = logging
        return platform.policies.change(_operator(), policy_id, PolicyUpdate.model_validate(values))

    _policy_command(run)


@app.command("policy-revoke")
def policy_revoke(
    policy_id: Annotated[int, typer.Argument(help="the policy's id (shaffof mediator policies)")],
    reason: Reason = "",
) -> None:
    """Revoke a policy: from now on it allows nothing (logged with the reason)."""
    from shaffof.mediator.schemas import PolicyRevoke

    _policy_command(
        lambda platform: platform.policies.revoke(
            _operator(), policy_id, PolicyRevoke.model_validate({"reason": reason})
        )
    )


@app.command("policy-history")
def policy_history(policy_id: Annotated[int, typer.Argument(help="the policy's id")]) -> None:
    """Every change of a policy: when, by whom, why."""
    from shaffof.cli.main import console, errors
    from shaffof.errors import DomainError

    platform = _platform()
    try:
        changes = platform.policies.history(None, policy_id)
    except DomainError as error:
        errors.print(f"[red]{error.detail}[/red]", highlight=False)
        raise typer.Exit(1) from None
    for change in changes:
        console.print(
            f"{change.at:%Y-%m-%d %H:%M:%S} {change.action.value:<8} {change.operator}: {change.reason}",
            highlight=False,
            soft_wrap=True,
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
