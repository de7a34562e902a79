"""Verify an evidence package (``archive/evidence.py``) offline: nothing but the ZIP, the CA certificate
the verifier trusts and the log's public key it trusts. No database, no network.

Checks, each problem reported with its location (a file of the package, or a place in the manifest):

1. every file's SHA-256 against the manifest; files missing from the package or not in the manifest;
2. each event's leaf data hashes (RFC 9162: SHA-256 of 0x00 ‖ data) to its recorded leaf hash, and says
   what the manifest's timeline says (case, seq, kind, time, actor, states, reason, data);
3. each inclusion proof (RFC 9162 §2.1.3.2) leads from the leaf hash to the checkpoint's root;
4. the checkpoint's Ed25519 signature with the given log key, and its text against the manifest; its RFC
   3161 token over its signed note with the given CA; the first checkpoint that covered the case likewise,
   and the RFC 9162 consistency proof from it to the package's checkpoint;
5. each document is the content its name says (SHA-256) and is named by a leaf of the case;
6. the decision PDF's seal (PAdES) against the given CA alone; signed submissions (JWS) likewise.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shaffof.archive.evidence import FORMAT, MANIFEST
from shaffof.ledger import merkle
from shaffof.ledger.checkpoints import from_millis, note_text, verify_signature
from shaffof.pki.chain import TrustAnchors

MAX_ENTRY_BYTES = 512 * 1024 * 1024  # a ZIP bomb is refused, not expanded


@dataclass(frozen=True)
class Problem:
    location: str
    problem: str

    def __str__(self) -> str:
        return f"{self.location}: {self.problem}"


@dataclass
class EvidenceReport:
    problems: list[Problem] = field(default_factory=list)
    registration_number: str | None = None
    files: int = 0
    events: int = 0
    proofs: int = 0
    seals: int = 0
    timestamps: int = 0  # checkpoint tokens that verify
    consistency: bool = False  # the first checkpoint's consistency proof verified
    disposed: int = 0  # documents disposed of under the retention schedule (tombstones)
    checkpoint_size: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, location: str, problem: str) -> None:
        self.problems.append(Problem(location, problem))


class PackageUnreadable(ValueError):
    """Not a ZIP, or no readable manifest: nothing can be checked."""


def verify_evidence(
    data: bytes, *, ca_pem: bytes, log_key: Ed25519PublicKey, at: dt.datetime | None = None
) -> EvidenceReport:
    """Check the package ``data``; raises :class:`PackageUnreadable` only if it cannot be opened at all."""
    moment = at or dt.datetime.now(dt.UTC)
    files, damaged = _read_zip(data)
    try:
        manifest = json.loads(files.pop(MANIFEST))
    except KeyError:
        raise PackageUnreadable(f"the package has no {MANIFEST}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PackageUnreadable(f"{MANIFEST} is not JSON: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise PackageUnreadable(f"{MANIFEST} is not the manifest of a {FORMAT}")
    report = EvidenceReport(registration_number=_case(manifest).get("registration_number"))
    for name, why in damaged:
        report.add(name, f"cannot be read from the ZIP: {why}")
    _check_files(report, manifest, files)
    head = _check_checkpoint(report, manifest, files, log_key, TrustAnchors.from_pem(ca_pem))
    leaves = _check_events(report, manifest, files, head)
    _check_documents(report, manifest, files, leaves, ca_pem, moment)
    return report


# ---------------------------------------------------------------------------------------------- files


def _read_zip(data: bytes) -> tuple[dict[str, bytes], list[tuple[str, str]]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise PackageUnreadable(f"not a ZIP file: {error}") from None
    files: dict[str, bytes] = {}
    damaged: list[tuple[str, str]] = []
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            if info.file_size > MAX_ENTRY_BYTES:
                raise PackageUnreadable(f"{info.filename}: larger than {MAX_ENTRY_BYTES} bytes")
            if info.filename in files:
                raise PackageUnreadable(f"{info.filename}: in the ZIP twice")
            try:
                files[info.filename] = archive.read(info)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as error:  # a damaged entry: named
                if info.filename == MANIFEST:
                    raise PackageUnreadable(f"{MANIFEST}: cannot be read from the ZIP: {error}") from None
                damaged.append((info.filename, str(error)))
    return files, damaged


def _check_files(report: EvidenceReport, manifest: dict[str, Any], files: dict[str, bytes]) -> None:
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        report.add(f"{MANIFEST} files", "missing: the manifest lists no file hashes")
        return
    for path, expected in sorted(listed.items()):
        data = files.get(path)
        if data is None:
            report.add(path, "missing from the package (listed in the manifest)")
            continue
        report.files += 1
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            report.add(path, f"SHA-256 {actual} differs from the manifest's {expected}")
    for path in sorted(set(files) - set(listed)):
        report.add(path, "not listed in the manifest")


# ---------------------------------------------------------------------------------------------- ledger


@dataclass(frozen=True)
class _Head:
    tree_size: int
    root_hash: bytes


def _check_checkpoint(
    report: EvidenceReport,
    manifest: dict[str, Any],
    files: dict[str, bytes],
    log_key: Ed25519PublicKey,
    trust: TrustAnchors,
) -> _Head | None:
    ledger = manifest.get("ledger") or {}
    checkpoint = ledger.get("checkpoint") if isinstance(ledger, dict) else None
    if not isinstance(checkpoint, dict):
        report.add(f"{MANIFEST} ledger.checkpoint", "missing: the package has no checkpoint, so no event is proven")
        return None
    head = _read_checkpoint(report, "ledger.checkpoint", checkpoint, files, log_key, trust)
    if head is not None:
        report.checkpoint_size = head.tree_size
        first = ledger.get("first_checkpoint")
        if isinstance(first, dict):
            _check_first(report, first, head, files, log_key, trust)
    return head


def _read_checkpoint(
    report: EvidenceReport,
    label: str,
    checkpoint: dict[str, Any],
    files: dict[str, bytes],
    log_key: Ed25519PublicKey,
    trust: TrustAnchors,
) -> _Head | None:
    """A checkpoint of the package: its signature with the given log key, its text against the manifest,
    and its RFC 3161 token (if it names one) over its signed note, against the given CA."""
    text_path, signature_path = str(checkpoint.get("text")), str(checkpoint.get("signature"))
    text, signature = files.get(text_path), files.get(signature_path)
    if text is None or signature is None:
        report.add(text_path if text is None else signature_path, "missing: the checkpoint cannot be checked")
        return None
    if not verify_signature(log_key, text, signature):
        report.add(signature_path, f"the signature of {text_path} does not verify with the given log key")
    lines = text.decode("utf-8", "replace").split("\n")
    try:
        if len(lines) < 4 or lines[-1] != "":
            raise ValueError("not four lines ending in a newline")
        origin, size_text, root_text = lines[0], lines[1], lines[2]
        tree_size = int(size_text)
        root_hash = base64.b64decode(root_text, validate=True)
        if len(root_hash) != merkle.HASH_SIZE or tree_size < 0:
            raise ValueError("the root hash is not a SHA-256 hash")
        millis = int(lines[3].removeprefix("timestamp "))
    except (ValueError, binascii.Error) as error:
        report.add(text_path, f"not a checkpoint: {error}")
        return None
    for field_name, ours, theirs in (
        ("origin", origin, checkpoint.get("origin", origin)),
        ("tree_size", tree_size, checkpoint.get("tree_size")),
        ("root_hash", root_text, checkpoint.get("root_hash")),
    ):
        if ours != theirs:
            report.add(f"{MANIFEST} {label}.{field_name}", f"{theirs!r} differs from {text_path} ({ours!r})")
    token_path = checkpoint.get("timestamp_token")
    if token_path is not None:
        _check_token(report, str(token_path), files, note_text(text, origin, signature, _raw(log_key)), millis, trust)
    return _Head(tree_size, root_hash)


def _check_token(
    report: EvidenceReport, path: str, files: dict[str, bytes], note: str, millis: int, trust: TrustAnchors
) -> None:
    from shaffof.ledger.timestamps import note_digest
    from shaffof.pki.tsa import TimestampInvalid, verify_token

    token = files.get(path)
    if token is None:
        report.add(path, "missing: the checkpoint's timestamp cannot be checked")
        return
    try:
        verified = verify_token(token, note_digest(note.encode()), trust)
    except TimestampInvalid as error:
        report.add(path, f"the timestamp does not verify over the checkpoint's signed note: {error}")
        return
    if verified.time < from_millis(millis).replace(microsecond=0) - dt.timedelta(seconds=1):
        report.add(path, f"the timestamp ({verified.time}) is earlier than the checkpoint it stamps")
        return
    report.timestamps += 1


def _check_first(
    report: EvidenceReport,
    first: dict[str, Any],
    head: _Head,
    files: dict[str, bytes],
    log_key: Ed25519PublicKey,
    trust: TrustAnchors,
) -> None:
    """The checkpoint that first covered the case, and the RFC 9162 proof that the package's checkpoint
    extends it (so the submission receipt and this package speak of one log)."""
    earlier = _read_checkpoint(report, "ledger.first_checkpoint", first, files, log_key, trust)
    proof_path = str(first.get("consistency"))
    data = files.get(proof_path)
    if earlier is None:
        return
    if data is None:
        report.add(proof_path, "missing: no consistency proof from the first checkpoint")
        return
    try:
        proof = json.loads(data)
        path = [base64.b64decode(p, validate=True) for p in proof["consistency"]]
        sizes = (int(proof["first"]), int(proof["second"]))
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        report.add(proof_path, f"not a consistency proof: {error!r}")
        return
    if sizes != (earlier.tree_size, head.tree_size):
        report.add(
            proof_path,
            f"the proof is from {sizes[0]} to {sizes[1]} leaves, not {earlier.tree_size} to {head.tree_size}",
        )
        return
    verdict = merkle.verify_consistency(earlier.tree_size, head.tree_size, earlier.root_hash, head.root_hash, path)
    if not verdict:
        report.add(proof_path, f"the package's checkpoint is not an extension of the first checkpoint: {verdict}")
    else:
        report.consistency = True


def _raw(key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _check_events(
    report: EvidenceReport, manifest: dict[str, Any], files: dict[str, bytes], head: _Head | None
) -> list[bytes]:
    """The leaves whose data hashes to their leaf hash (what the rest may rely on)."""
    case = _case(manifest)
    trusted: list[bytes] = []
    events = manifest.get("events")
    if not isinstance(events, list) or not events:
        report.add(f"{MANIFEST} events", "missing: the manifest lists no case events")
        return trusted
    for position, event in enumerate(events):
        where = f"{MANIFEST} events[{position}]"
        if not isinstance(event, dict):
            report.add(where, "not an object")
            continue
        report.events += 1
        leaf_path, proof_path = str(event.get("leaf")), str(event.get("proof"))
        leaf_data, proof_data = files.get(leaf_path), files.get(proof_path)
        if leaf_data is None or proof_data is None:
            report.add(leaf_path if leaf_data is None else proof_path, f"missing (named by {where})")
            continue
        try:
            proof = json.loads(proof_data)
            if proof.get("leaf_hash") is None:
                report.add(proof_path, "no leaf: the log holds no leaf for this event")
                continue
            leaf_hash = base64.b64decode(proof["leaf_hash"], validate=True)
        except (ValueError, KeyError, TypeError, binascii.Error) as error:
            report.add(proof_path, f"not a leaf receipt: {error!r}")
            continue
        if merkle.leaf_hash(leaf_data) != leaf_hash:
            report.add(leaf_path, "the leaf data does not hash to its leaf hash (SHA-256 of 0x00 ‖ data)")
        else:
            trusted.append(leaf_data)
            _compare_record(report, where, leaf_path, leaf_data, event, case)
        inclusion = proof.get("inclusion")
        if inclusion is None:
            report.add(proof_path, "no inclusion proof: the package's checkpoint does not cover this event")
            continue
        if head is None:
            continue
        try:
            path = [base64.b64decode(p, validate=True) for p in inclusion["audit_path"]]
            index, size = int(proof["leaf_index"]), int(inclusion["tree_size"])
        except (ValueError, KeyError, TypeError, binascii.Error) as error:
            report.add(proof_path, f"not an inclusion proof: {error!r}")
            continue
        if size != head.tree_size:
            report.add(proof_path, f"the proof is for a tree of {size} leaves, the checkpoint has {head.tree_size}")
            continue
        verdict = merkle.verify_inclusion(leaf_hash, index, size, path, head.root_hash)
        if not verdict:
            report.add(proof_path, f"the inclusion proof fails against the checkpoint: {verdict}")
        else:
            report.proofs += 1
    return trusted


def _compare_record(
    report: EvidenceReport, where: str, leaf_path: str, leaf_data: bytes, event: dict[str, Any], case: dict[str, Any]
) -> None:
    """The timeline in the manifest must say what the (proven) leaf says."""
    try:
        record = json.loads(leaf_data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        report.add(leaf_path, f"the leaf data is not JSON: {error}")
        return
    if not isinstance(record, dict) or record.get("type") != "case_event":
        report.add(leaf_path, "the leaf is not a case event record")
        return
    expected = {key: event.get(key) for key in ("seq", "kind", "at", "actor_account_id", "state_before")}
    expected |= {key: event.get(key) for key in ("state_after", "reason", "data")}
    expected |= {
        "registration_number": case.get("registration_number"),
        "case_id": case.get("case_id"),
        "agency_id": (case.get("agency") or {}).get("id"),
    }
    for key, value in expected.items():
        if record.get(key) != value:
            report.add(f"{where}.{key}", f"{value!r} differs from what its leaf {leaf_path} says ({record.get(key)!r})")


# ---------------------------------------------------------------------------------------------- documents


def _check_documents(
    report: EvidenceReport,
    manifest: dict[str, Any],
    files: dict[str, bytes],
    leaves: list[bytes],
    ca_pem: bytes,
    at: dt.datetime,
) -> None:
    from shaffof.pki.chain import TrustAnchors
    from shaffof.pki.service import VerificationContext, verification_report, verify_file

    context = VerificationContext(TrustAnchors.from_pem(ca_pem), None)
    documents = manifest.get("documents") or []
    signatures = manifest.get("signatures") or []
    sealed = {s.get("sha256") for s in signatures if isinstance(s, dict) and s.get("format") == "pades"}
    for position, document in enumerate(documents):
        if not isinstance(document, dict):
            report.add(f"{MANIFEST} documents[{position}]", "not an object")
            continue
        path, digest = str(document.get("path")), str(document.get("sha256"))
        if document.get("path") is None and isinstance(document.get("disposed"), dict):
            report.disposed += 1  # its content is gone under the schedule; the leaves still name its digest
            continue
        data = files.get(path)
        if data is None:
            report.add(path, f"missing (named by {MANIFEST} documents[{position}])")
            continue
        if hashlib.sha256(data).hexdigest() != digest:
            report.add(path, f"the content is not the document {digest} the case records")
        if not any(digest.encode() in leaf for leaf in leaves):
            report.add(path, "no proven leaf of the case names this document's SHA-256")
        if document.get("document_type") == "decision" or digest in sealed:
            result = verification_report(verify_file(data, context, at))
            report.seals += 1
            if result.verdict != "valid":
                report.add(path, f"the seal does not verify with the given CA: {result.summary}")
    for position, signature in enumerate(signatures):
        if not isinstance(signature, dict) or signature.get("path") is None:
            continue
        path = str(signature["path"])
        data = files.get(path)
        if data is None:
            report.add(path, f"missing (named by {MANIFEST} signatures[{position}])")
            continue
        result = verification_report(verify_file(data, context, at))
        report.seals += 1
        if result.verdict != "valid":
            report.add(path, f"the signature does not verify with the given CA: {result.summary}")


def _case(manifest: dict[str, Any]) -> dict[str, Any]:
    case = manifest.get("case")
    return case if isinstance(case, dict) else {}
