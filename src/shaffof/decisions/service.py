"""Issuing a decision document: render it, then PAdES-sign it for the deciding body.

``issue_decision_pdf`` runs inside the caller's unit of work (the case's ``decide`` operation): it reads the
agency's e-seal and the root CA's revocation list in that session and writes nothing itself. Use the returned
bytes only if that transaction commits (archive them content-addressed, name their SHA-256 in the case event).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy.orm import Session

from shaffof.cases.interfaces import DecisionFacts, IssuedDecision
from shaffof.decisions.document import LABELS, DecisionDocument, render
from shaffof.decisions.errors import DecisionNotVerifiable, SignerNotOfAgency
from shaffof.pki.chain import facts

SIGNATURE_BOX_MARGIN = 6  # points between the signature block's content and the visible field's frame

if TYPE_CHECKING:
    from shaffof.pki.service import Pki, PlatformKey
    from shaffof.pki.signing.pades import SigningKey


def issue_decision_pdf(
    session: Session,
    pki: Pki,
    *,
    document: DecisionDocument,
    agency_code: str,
    signer: SigningKey | None = None,
    visible: bool = True,
) -> bytes:
    """The decision as a signed PDF/A-3b: PAdES B-LT, timestamped by the platform's TSA, revocation
    information embedded — bytes anyone can verify offline with only the root CA certificate.

    ``signer``: an officer's key — anything with ``.certificate``, ``.chain`` (leaf first) and
    ``.sign(data) -> DER ECDSA-SHA-256``, as :class:`shaffof.pki.service.PlatformKey`; its certificate must name
    ``agency_code`` — or None to seal with the agency's e-seal (automated decisions).

    ``visible``: the signature field lies over the document's signature block (officer and QR code) —
    clicking it in a PDF viewer shows the signature; otherwise it is invisible (viewers still list it).

    Raises ``CertificateNotFound`` (the agency has no valid e-seal), :class:`SignerNotOfAgency`,
    ``SignerRefused`` (the certificate does not validate — revoked, say), ``PkiPassphraseRefused``.
    """
    from shaffof.pki.signing.pades import SignatureBox, SignatureField, sign_with_platform

    key = signer if signer is not None else pki.eseal(session, agency_code)
    unit = facts(key.certificate.public_bytes(Encoding.DER)).unit
    if unit != agency_code:
        raise SignerNotOfAgency(
            f"The certificate {key.certificate.serial_number:x} signs for {unit or 'no agency'}, "
            f"not for {agency_code}: a decision is signed by an officer or the e-seal of the deciding body."
        )
    rendered = render(document)
    block = rendered.signature_block if visible else None
    m = SIGNATURE_BOX_MARGIN
    field = SignatureField(
        box=SignatureBox(block.page, block.x1 - m, block.y1 - m, block.x2 + m, block.y2 + m) if block else None,
        reason=f"{LABELS.get(document.language, LABELS['uz'])['title']} {document.registration_number}",
    )
    return sign_with_platform(pki, session, rendered.pdf, key, field=field)


class DecisionDocuments:
    """Renders and seals decision PDFs for the cases domain (``Cases.issue_decision_documents``).

    Rendering takes a few hundred milliseconds, so it runs outside any write transaction: the worker issues
    the documents of decided cases shortly after the decision commits.
    """

    def __init__(
        self,
        pki: Pki,
        *,
        public_url: str,
        timezone: str,
        signer: Callable[[Session], PlatformKey] | None = None,
    ) -> None:
        """``signer``: the deciding officer's key (``Pki.decision_key``); None seals with the body's e-seal."""
        self._pki = pki
        self._signer = signer
        self._public_url = public_url.rstrip("/")
        self._timezone = timezone

    def issue(self, session: Session, facts_: DecisionFacts) -> IssuedDecision:
        from shaffof.pki.service import verify_file

        signer = self._signer(session) if self._signer is not None else None
        document = DecisionDocument(
            registration_number=facts_.registration_number,
            body=facts_.body,
            service=facts_.service,
            applicant=facts_.applicant,
            received_at=facts_.received_at,
            decided_at=facts_.decided_at,
            outcome=facts_.outcome,
            reasons=facts_.reasons,
            officer=facts_.officer,
            verify_url=f"{self._public_url}/verify?case={facts_.registration_number}",
            citations=list(facts_.citations),
            language="uz",
            timezone=self._timezone,
        )
        pdf = issue_decision_pdf(session, self._pki, document=document, agency_code=facts_.agency_code, signer=signer)
        result = verify_file(pdf, self._pki.verification_context(session), self._pki.clock())
        if not result:
            raise DecisionNotVerifiable(f"The sealed decision did not verify: {result.detail}")
        return IssuedDecision(
            pdf=pdf,
            signer=result.signer.name,
            certificate_serial=result.signer.certificate_serial,
            signing_time=result.signing_time,
            timestamp=result.timestamp,
        )
