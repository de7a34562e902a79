"""Render a case decision to a PDF/A document with a QR code to its verification page.

The PDF is what gets PAdES-signed and archived; everything a reader needs to understand the decision is
on it: the body, the registration number, the parties, the outcome, the reasons, the legal citations.
Fonts are embedded by WeasyPrint (DejaVu covers Uzbek Latin and Cyrillic). :func:`render` also says where
the signature block (officer, QR code, "signed electronically") landed, so the visible signature field can
be placed over it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape

from shaffof.legal import Citation

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))

LABELS: dict[str, dict[str, str]] = {
    "uz": {
        "title": "Qaror",
        "case": "Murojaat raqami",
        "body": "Qaror qabul qilgan organ",
        "service": "Xizmat",
        "applicant": "Murojaatchi",
        "received": "Qabul qilingan sana",
        "decided": "Qaror sanasi",
        "outcome": "Qaror",
        "reasons": "Asoslar",
        "law": "Huquqiy asos",
        "officer": "Mas'ul xodim",
        "verify": "Imzoni tekshirish",
        "signed": "Elektron imzo bilan tasdiqlangan.",
        "contest": "Qaror ustidan bir yil ichida yuqori turuvchi organga shikoyat qilish mumkin (ZRU-445, 22-modda).",
        "approved": "Qanoatlantirildi",
        "rejected": "Rad etildi",
        "partially_approved": "Qisman qanoatlantirildi",
        "left_unconsidered": "Ko'rmasdan qoldirildi",
    },
    "ru": {
        "title": "Решение",
        "case": "Регистрационный номер",
        "body": "Орган, принявший решение",
        "service": "Услуга",
        "applicant": "Заявитель",
        "received": "Дата поступления",
        "decided": "Дата решения",
        "outcome": "Решение",
        "reasons": "Основания",
        "law": "Правовое основание",
        "officer": "Ответственный сотрудник",
        "verify": "Проверить подпись",
        "signed": "Подписано электронной подписью.",
        "contest": "Решение может быть обжаловано в вышестоящий орган в течение года (ЗРУ-445, статья 22).",
        "approved": "Удовлетворено",
        "rejected": "Отказано",
        "partially_approved": "Удовлетворено частично",
        "left_unconsidered": "Оставлено без рассмотрения",
    },
    "en": {
        "title": "Decision",
        "case": "Registration number",
        "body": "Deciding body",
        "service": "Service",
        "applicant": "Applicant",
        "received": "Received",
        "decided": "Decided",
        "outcome": "Decision",
        "reasons": "Reasons",
        "law": "Legal basis",
        "officer": "Responsible officer",
        "verify": "Verify the signature",
        "signed": "Signed electronically.",
        "contest": "The decision may be contested before the higher body within one year (ZRU-445, Art. 22).",
        "approved": "Approved",
        "rejected": "Rejected",
        "partially_approved": "Partially approved",
        "left_unconsidered": "Left unconsidered",
    },
}


@dataclass(frozen=True)
class DecisionDocument:
    registration_number: str
    body: str
    service: str
    applicant: str
    received_at: dt.datetime
    decided_at: dt.datetime
    outcome: str  # an Outcome value
    reasons: str
    officer: str
    verify_url: str
    citations: list[Citation] = field(default_factory=list)
    language: str = "uz"
    timezone: str = "Asia/Tashkent"


def qr_svg_data_uri(url: str) -> str:
    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=2))


def render_html(document: DecisionDocument) -> str:
    labels = LABELS.get(document.language, LABELS["uz"])
    tz = ZoneInfo(document.timezone)
    return _env.get_template("decision.html").render(
        d=document,
        t=labels,
        outcome=labels[document.outcome],
        received=document.received_at.astimezone(tz).strftime("%d.%m.%Y %H:%M"),
        decided=document.decided_at.astimezone(tz).strftime("%d.%m.%Y %H:%M"),
        qr=qr_svg_data_uri(document.verify_url),
    )


SIGNATURE_BLOCK = "signature"  # the id of the template's signature block (officer, QR code)
_PT_PER_CSS_PX = 0.75  # WeasyPrint lays out in CSS px (1/96 in); PDF user space is in points (1/72 in)


@dataclass(frozen=True)
class Box:
    """A rectangle on a page in PDF points, origin at the bottom left (``page``: 0-based index)."""

    page: int
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass(frozen=True)
class RenderedDecision:
    pdf: bytes
    signature_block: Box | None  # where the signature block is, for a visible signature field


def render(document: DecisionDocument) -> RenderedDecision:
    """The decision as PDF/A-3b bytes (fonts embedded), ready to be PAdES-signed, and its signature block."""
    from weasyprint import HTML  # imported here: it loads Pango, needed only when rendering

    laid_out = HTML(string=render_html(document), base_url=str(TEMPLATES)).render()
    block = None
    for index, page in enumerate(laid_out.pages):
        anchor = page.anchors.get(SIGNATURE_BLOCK)
        if anchor is not None:
            left, top, right, bottom = (value * _PT_PER_CSS_PX for value in anchor)
            height = page.height * _PT_PER_CSS_PX
            block = Box(index, int(left), int(height - bottom), round(right), round(height - top))
    pdf = laid_out.write_pdf(pdf_variant="pdf/a-3b")
    assert pdf is not None
    return RenderedDecision(bytes(pdf), block)


def render_pdf(document: DecisionDocument) -> bytes:
    """The decision as PDF/A-3b bytes (fonts embedded), ready to be PAdES-signed."""
    return render(document).pdf
