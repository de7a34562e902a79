"""The public verification page (``/verify``), where a decision's QR code leads: upload a signed PDF or JWS
and read one clear verdict — who signed, when (and the proven timestamp), the certificate's status, whether the
document is intact. A plain form: works without JavaScript; the verdict is announced to screen readers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse

from shaffof.pki.service import verification_report
from shaffof.web.deps import PlatformDep
from shaffof.web.ui.views import LANGUAGES, choose_language, templates

router = APIRouter(include_in_schema=False)

TEXTS: dict[str, dict[str, str]] = {
    "uz": {
        "title": "Elektron imzoni tekshirish",
        "intro": "Imzolangan hujjatni (PDF qaror yoki JWS) yuklang: kim va qachon imzolagani, sertifikat holati va "
        "hujjat o'zgartirilmaganini ko'rasiz.",
        "case": "Murojaat raqami",
        "file": "Imzolangan fayl (PDF yoki JWS)",
        "submit": "Tekshirish",
        "valid": "Imzo haqiqiy",
        "invalid": "Imzo haqiqiy emas",
        "signer": "Imzolovchi",
        "agency": "Tashkilot",
        "signing_time": "Imzolangan vaqt",
        "timestamp": "Vaqt tamg'asi",
        "status": "Sertifikat holati",
        "revoked_at": "Sertifikat bekor qilingan",
        "before_revocation": "Imzo sertifikat bekor qilinishidan oldin qo'yilgan va vaqt tamg'asi buni tasdiqlaydi: "
        "u o'z kuchida.",
        "integrity": "Hujjat yaxlitligi",
        "reason": "Sabab",
        "missing": "Faylni tanlang",
        "too_large": "Fayl juda katta",
        "skip": "Asosiy mazmunga o'tish",
        "language": "Til",
    },
    "ru": {
        "title": "Проверка электронной подписи",
        "intro": "Загрузите подписанный документ (решение в PDF или JWS): кто и когда подписал, статус сертификата и "
        "не изменён ли документ.",
        "case": "Номер обращения",
        "file": "Подписанный файл (PDF или JWS)",
        "submit": "Проверить",
        "valid": "Подпись действительна",
        "invalid": "Подпись недействительна",
        "signer": "Подписант",
        "agency": "Организация",
        "signing_time": "Время подписания",
        "timestamp": "Метка времени",
        "status": "Статус сертификата",
        "revoked_at": "Сертификат отозван",
        "before_revocation": "Подпись поставлена до отзыва сертификата, что подтверждает метка времени: "
        "она действительна.",
        "integrity": "Целостность документа",
        "reason": "Причина",
        "missing": "Выберите файл",
        "too_large": "Файл слишком большой",
        "skip": "Перейти к основному содержанию",
        "language": "Язык",
    },
    "en": {
        "title": "Verify an electronic signature",
        "intro": "Upload a signed document (a decision PDF or a JWS) to see who signed it and when, the certificate's "
        "status, and whether the document is intact.",
        "case": "Case number",
        "file": "Signed file (PDF or JWS)",
        "submit": "Verify",
        "valid": "The signature is valid",
        "invalid": "The signature is not valid",
        "signer": "Signed by",
        "agency": "Body",
        "signing_time": "Signed at",
        "timestamp": "Timestamp",
        "status": "Certificate status",
        "revoked_at": "Certificate revoked",
        "before_revocation": "The signature was made before the certificate was revoked, as its timestamp proves: "
        "it stands.",
        "integrity": "Document integrity",
        "reason": "Reason",
        "missing": "Choose a file",
        "too_large": "The file is too large",
        "skip": "Skip to main content",
        "language": "Language",
    },
}


def _page(
    request: Request, language: str, case: str | None, *, report: object, error: str | None, status_code: int = 200
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "verify.html",
        {
            "t": TEXTS[language],
            "lang": language,
            "languages": LANGUAGES,
            "case": case or "",
            "report": report,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/verify", response_class=HTMLResponse)
def verify_form(
    request: Request,
    lang: str | None = Query(default=None, max_length=5),
    case: str | None = Query(default=None, max_length=40),
) -> HTMLResponse:
    return _page(request, choose_language(request, lang), case, report=None, error=None)


@router.post("/verify", response_class=HTMLResponse)
def verify_upload(
    request: Request,
    platform: PlatformDep,
    file: Annotated[UploadFile | None, File()] = None,
    lang: Annotated[str | None, Form(max_length=5)] = None,
    case: Annotated[str | None, Form(max_length=40)] = None,
) -> HTMLResponse:
    language = choose_language(request, lang)
    limit = platform.settings.max_document_bytes
    data = file.file.read(limit + 1) if file is not None else b""
    if not data:
        return _page(request, language, case, report=None, error=TEXTS[language]["missing"], status_code=422)
    if len(data) > limit:
        return _page(request, language, case, report=None, error=TEXTS[language]["too_large"], status_code=413)
    report = verification_report(platform.pki.verify_document(data))
    return _page(request, language, case, report=report, error=None)
