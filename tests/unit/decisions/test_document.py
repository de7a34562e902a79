"""The decision PDF carries everything a reader needs, in the reader's language and script."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from shaffof.decisions.document import DecisionDocument, render, render_html, render_pdf
from shaffof.legal import Citation

ZRU445 = Citation(law="ZRU-445", article="28", part="1", title="15 kun", url="https://lex.uz/docs/3336171")


def decision(
    language: str = "uz", reasons: str = "Koʻcha chiroqlari 10 kun ichida almashtiriladi."
) -> DecisionDocument:
    return DecisionDocument(
        registration_number="TOSHHOK-2026-000123",
        body="Toshkent shahar hokimligi",
        service="Hokimlikka murojaat",
        applicant="Aziza Karimova",
        received_at=dt.datetime(2026, 3, 6, 5, 0, tzinfo=dt.UTC),
        decided_at=dt.datetime(2026, 3, 20, 19, 30, tzinfo=dt.UTC),
        outcome="partially_approved",
        reasons=reasons,
        officer="Bobur Toshmatov",
        verify_url="https://shaffof.example/verify?case=TOSHHOK-2026-000123",
        citations=[ZRU445],
        language=language,
    )


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_holds_number_parties_outcome_reasons_and_citation_in_latin_and_cyrillic() -> None:
    pdf = render_pdf(decision(reasons="Koʻcha chiroqlari almashtiriladi.\nҚолган талаблар рад этилди."))
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    for expected in (
        "TOSHHOK-2026-000123",
        "Toshkent shahar hokimligi",
        "Aziza Karimova",
        "Qisman qanoatlantirildi",
        "Koʻcha chiroqlari almashtiriladi.",
        "Қолган талаблар рад этилди.",
        "ZRU-445 Art. 28(1)",
        "Bobur Toshmatov",
    ):
        assert expected in text, expected
    # Times are shown in the body's time zone (UTC+5): decided 19:30 UTC is 00:30 the next day.
    assert "21.03.2026 00:30" in text


def test_fonts_are_embedded_and_the_file_is_pdf_a() -> None:
    pdf = render_pdf(decision())
    reader = PdfReader(io.BytesIO(pdf))
    fonts = [
        font.get_object()
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()  # type: ignore[index, union-attr]
    ]
    assert fonts
    for font in fonts:
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant["/FontDescriptor"].get_object()
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()  # type: ignore[index, union-attr]
    assert b'pdfaid:part="3"' in xmp  # PDF/A-3b identification
    assert reader.trailer["/Root"]["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"  # type: ignore[index]


@pytest.mark.parametrize(
    ("language", "label"),
    [("uz", "Qisman qanoatlantirildi"), ("ru", "Удовлетворено частично"), ("en", "Partially approved")],
)
def test_outcome_is_written_in_the_readers_language(language: str, label: str) -> None:
    html = render_html(decision(language))
    assert f'<html lang="{language}">' in html
    assert label in html


def test_the_qr_code_points_to_the_verification_page() -> None:
    html = render_html(decision())
    assert 'src="data:image/svg+xml' in html
    assert "https://shaffof.example/verify?case=TOSHHOK-2026-000123" in html  # also as the image's text


def test_render_says_where_the_signature_block_is_for_a_visible_signature() -> None:
    rendered = render(decision())
    assert rendered.pdf.startswith(b"%PDF-")
    block = rendered.signature_block
    assert block is not None and block.page == 0
    width, height = 595, 842  # A4 in points; the block lies within the 18 mm / 20 mm margins
    assert 45 < block.x1 < block.x2 < width - 45 and 50 < block.y1 < block.y2 < height - 50
    assert block.y2 - block.y1 > 85  # room for the 30 mm QR code
    assert "Elektron imzo bilan tasdiqlangan." in pdf_text(rendered.pdf)
