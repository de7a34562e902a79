"""``shaffof pki init|issue|renew|revoke|list|ca`` and ``shaffof verify FILE`` (the console is trusted as an
administrator: whoever runs these holds the database and the PKI passphrase)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from shaffof.pki.schemas import VerificationReport
    from shaffof.platform import Platform

app = typer.Typer(
    help="The platform's certification authority: set up, issue, renew, revoke, list.", no_args_is_help=True
)


def _platform() -> Platform:
    from shaffof.cli.main import _settings
    from shaffof.platform import Platform

    # Start-up warnings (development settings) go to stderr: stdout carries only what the command prints
    # (`shaffof pki ca > ca.pem`, `shaffof verify --json | jq`).
    with contextlib.redirect_stdout(sys.stderr):
        return Platform.build(_settings())


def _fail(message: str, code: int = 1) -> typer.Exit:
    from shaffof.cli.main import errors

    errors.print(f"[red]{message}[/red]", highlight=False)
    return typer.Exit(code)


@app.command("init")
def init() -> None:
    """Create the root CA, the issuing CA, the TSA and the OCSP responder (once)."""
    from shaffof.cli.main import console
    from shaffof.errors import DomainError

    platform = _platform()
    try:
        hierarchy = platform.pki.initialise()
    except DomainError as error:
        raise _fail(error.detail) from None
    finally:
        platform.db.dispose()
    for label, item in (
        ("root CA", hierarchy.root),
        ("issuing CA", hierarchy.issuing),
        ("time-stamping authority", hierarchy.tsa),
        ("OCSP responder", hierarchy.ocsp_responder),
    ):
        console.print(f"{label}: serial {item.serial}, valid until {item.not_after:%Y-%m-%d}, {item.subject}")
    console.print("Relying parties fetch the root at /pki/ca.pem; `shaffof pki ca` prints it.")


@app.command("ca")
def ca(chain: Annotated[bool, typer.Option("--chain", help="the issuing CA too")] = False) -> None:
    """Print the root CA certificate (PEM) — the trust anchor for offline verification."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from shaffof.errors import DomainError

    platform = _platform()
    try:
        root, issuing = platform.pki.ca_certificates()
    except DomainError as error:
        raise _fail(error.detail) from None
    finally:
        platform.db.dispose()
    text = (issuing.public_bytes(Encoding.PEM) if chain else b"") + root.public_bytes(Encoding.PEM)
    typer.echo(text.decode("ascii"), nl=False)


@app.command("issue")
def issue(
    csr: Annotated[Path | None, typer.Option(help="a PKCS#10 request (PEM) with a P-256 key")] = None,
    holder: Annotated[
        str | None, typer.Option("--for", help="the holder: a citizen's PINFL or login, or an officer's login")
    ] = None,
    eseal: Annotated[str | None, typer.Option(help="issue an e-seal for this agency code (platform-held key)")] = None,
    out: Annotated[Path | None, typer.Option(help="write the certificate and the issuing CA (PEM) here")] = None,
) -> None:
    """Issue a certificate: ``--csr FILE --for HOLDER`` (subject from the records) or ``--eseal AGENCY``."""
    from shaffof.cli.main import console
    from shaffof.errors import DomainError

    if (eseal is None) == (csr is None or holder is None):
        raise _fail("Give either --csr FILE --for HOLDER, or --eseal AGENCY.", 2)
    platform = _platform()
    try:
        if eseal is not None:
            result = platform.pki.issue_eseal(None, eseal)
        else:
            assert csr is not None and holder is not None
            result = platform.pki.issue_from_csr_for(holder, csr.read_text())
    except DomainError as error:
        raise _fail(error.detail) from None
    except OSError as error:
        raise _fail(f"Cannot read the CSR: {error}", 2) from None
    finally:
        platform.db.dispose()
    if out is not None:
        out.write_text(result.chain_pem)
        console.print(f"Written to {out}.")
    else:
        typer.echo(result.chain_pem, nl=False)
    console.print(
        f"Issued {result.kind} certificate {result.serial} for {result.subject}, "
        f"valid until {result.not_after:%Y-%m-%d}."
    )


@app.command("renew")
def renew(serial: Annotated[str, typer.Argument(help="the serial number (hex)")]) -> None:
    """Extend a signature certificate (same key, new validity; at most twice, ZRU-793)."""
    from shaffof.cli.main import console
    from shaffof.errors import DomainError

    platform = _platform()
    try:
        result = platform.pki.renew(None, serial)
    except DomainError as error:
        raise _fail(error.detail) from None
    finally:
        platform.db.dispose()
    console.print(
        f"Extended as {result.serial} (extension {result.renewals} of 2), valid until {result.not_after:%Y-%m-%d}."
    )


@app.command("rotate")
def rotate(
    kind: Annotated[str, typer.Argument(help="issuing_ca, tsa or ocsp_responder")],
) -> None:
    """A new key and certificate for the issuing CA, the TSA or the OCSP responder. The old one keeps verifying
    what it signed; restart the servers so that every process signs with the new one."""
    from shaffof.cli.main import console
    from shaffof.errors import DomainError
    from shaffof.pki.profiles import ROTATABLE_KINDS, CertificateKind

    try:
        which = CertificateKind(kind)
    except ValueError:
        which = None
    if which not in ROTATABLE_KINDS:
        raise _fail(f"Rotate one of: {', '.join(k.value for k in ROTATABLE_KINDS)}.", 2)
    assert which is not None
    platform = _platform()
    try:
        result = platform.pki.rotate(None, which)
    except DomainError as error:
        raise _fail(error.detail) from None
    finally:
        platform.db.dispose()
    console.print(f"New {which.value}: serial {result.serial}, valid until {result.not_after:%Y-%m-%d}.")
    console.print(result.subject)
    if which is CertificateKind.issuing_ca:
        console.print("New certificates are issued by it; the earlier issuing CA answers for its own until revoked.")


@app.command("revoke")
def revoke(
    serial: Annotated[str, typer.Argument(help="the serial number (hex)")],
    reason: Annotated[
        str,
        typer.Option(
            help="unspecified, key_compromise, affiliation_changed, superseded, "
            "cessation_of_operation, privilege_withdrawn"
        ),
    ] = "unspecified",
) -> None:
    """Revoke a certificate; the CRL is re-signed and OCSP answers 'revoked' at once."""
    from shaffof.cli.main import console
    from shaffof.errors import DomainError
    from shaffof.pki.models import RevocationReason

    try:
        why = RevocationReason(reason)
    except ValueError:
        raise _fail(f"Unknown reason {reason!r}.", 2) from None
    platform = _platform()
    try:
        result = platform.pki.revoke(None, serial, why)
    except DomainError as error:
        raise _fail(error.detail) from None
    finally:
        platform.db.dispose()
    console.print(f"Revoked {result.serial} at {result.revoked_at:%Y-%m-%d %H:%M:%S} UTC ({why.value}).")


@app.command("list")
def list_certificates(
    kind: Annotated[
        str | None, typer.Option(help="root_ca, issuing_ca, tsa, ocsp_responder, citizen, officer, eseal")
    ] = None,
    status: Annotated[str | None, typer.Option(help="active or revoked")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 100,
) -> None:
    """The issuance register, newest first."""
    from shaffof.cli.main import console
    from shaffof.pki.models import IssuanceStatus
    from shaffof.pki.profiles import CertificateKind

    try:
        kind_ = CertificateKind(kind) if kind else None
        status_ = IssuanceStatus(status) if status else None
    except ValueError as error:
        raise _fail(str(error), 2) from None
    platform = _platform()
    try:
        rows = platform.pki.list_certificates(None, kind=kind_, status=status_, limit=limit)
    finally:
        platform.db.dispose()
    # One line per certificate (grep and cut understand it): serial, kind, not after, status, renewals, subject.
    for row in rows:
        state = f"revoked:{row.revoked_at:%Y-%m-%d}" if row.revoked_at else row.status.value
        line = f"{row.serial:<40}  {row.kind.value:<14}  {row.not_after:%Y-%m-%d}  {state:<18}  {row.renewals}"
        line += f"  {row.subject}"
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print(f"{len(rows)} certificate(s)")


def _print_report(report: VerificationReport) -> None:
    from shaffof.cli.main import console

    colour = "green" if report.verdict == "valid" else "red"
    console.print(f"[bold {colour}]{report.verdict.upper()}[/bold {colour}]: {report.summary}", highlight=False)
    rows = [
        ("format", report.format),
        ("signer", report.signer.name if report.signer else None),
        ("PINFL", report.signer.pinfl if report.signer else None),
        ("agency", (report.signer.agency or report.signer.organization) if report.signer else None),
        ("certificate", report.signer.certificate_serial if report.signer else None),
        ("signing time (claimed)", f"{report.signing_time:%Y-%m-%d %H:%M:%S} UTC" if report.signing_time else None),
        ("timestamp (proven)", f"{report.timestamp:%Y-%m-%d %H:%M:%S} UTC" if report.timestamp else "none"),
        ("certificate status", report.certificate_status.value if report.certificate_status else None),
        ("integrity", report.integrity),
        ("reason", report.reason.value if report.reason else None),
    ]
    for label, value in rows:
        if value:
            console.print(f"  {label}: {value}", highlight=False, markup=False)


def verify(
    file: Annotated[Path, typer.Argument(help="a signed file: JWS (compact or JSON); PDF once supported")],
    ca_file: Annotated[
        Path | None, typer.Option("--ca", help="verify offline against this CA certificate (PEM), e.g. /pki/ca.pem")
    ] = None,
    crl: Annotated[
        list[Path] | None, typer.Option(help="offline revocation information: a CRL (DER or PEM), repeatable")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Verify a signature: signer, PINFL or agency, signing time, timestamp, certificate status, one verdict.

    Exit status: 0 valid, 1 invalid, 2 the file or the CA could not be read.
    """
    from cryptography import x509

    from shaffof.pki.chain import TrustAnchors
    from shaffof.pki.service import VerificationContext, verification_report, verify_file
    from shaffof.pki.status import CrlStatusSource

    try:
        data = file.read_bytes()
    except OSError as error:
        raise _fail(f"Cannot read {file}: {error}", 2) from None
    if ca_file is not None:
        try:
            trust = TrustAnchors.from_pem(ca_file.read_bytes())
            crls = []
            for path in crl or []:
                raw = path.read_bytes()
                crls.append(
                    x509.load_pem_x509_crl(raw) if raw.lstrip().startswith(b"-----") else x509.load_der_x509_crl(raw)
                )
        except (OSError, ValueError) as error:
            raise _fail(f"Cannot read the CA or CRL file: {error}", 2) from None
        context = VerificationContext(trust, CrlStatusSource(crls) if crls else None)
        result = verify_file(data, context, dt.datetime.now(dt.UTC))
    else:
        platform = _platform()
        try:
            result = platform.pki.verify_document(data)
        finally:
            platform.db.dispose()
    report = verification_report(result)
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    if report.verdict != "valid":
        raise typer.Exit(1)
