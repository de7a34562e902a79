"""The public transparency page (``/transparency``): how anyone verifies a receipt and the log with nothing but
the checkpoint (the exact API calls and the RFC 9162 hashing), and a form that checks a pasted receipt against
the current checkpoint on the server. A plain form in uz/ru/en: works without JavaScript; errors are linked to
their fields and the verdict is announced to screen readers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse

from shaffof.errors import DomainError
from shaffof.ledger.receipts import MAX_RECEIPT_CHARS, ReceiptVerdict, parse_receipt
from shaffof.ledger.schemas import CheckpointPublic
from shaffof.web.deps import PlatformDep
from shaffof.web.ui.views import LANGUAGES, choose_language, templates

router = APIRouter(include_in_schema=False)

TEXTS: dict[str, dict[str, str]] = {
    "uz": {
        "title": "Shaffof jurnal: tekshirish",
        "intro": "Har bir murojaat hodisasi o'zgarmas jurnalga (RFC 9162 Merkle daraxti) yoziladi. Platforma har "
        "soniyada imzolangan nazorat nuqtasini (checkpoint) e'lon qiladi. Kvitansiyangizni faqat nazorat nuqtasi "
        "va ochiq kalit bilan, hech kimga ishonmasdan tekshirishingiz mumkin.",
        "current": "Joriy nazorat nuqtasi",
        "size": "Yozuvlar soni",
        "root": "Ildiz xeshi",
        "signed": "Imzolangan vaqt",
        "stamped": "Vaqt tamg'asi (TSA)",
        "none_yet": "Hali nazorat nuqtasi yo'q.",
        "not_stamped": "hali yo'q",
        "form": "Kvitansiyani tekshirish",
        "form_help": "GET /api/v1/ledger/receipts/{raqam} javobidagi bitta hodisani (leaf_hash va inclusion) yoki "
        "isbotni (leaf_index, tree_size, audit_path) JSON ko'rinishida qo'ying.",
        "leaf_hash": "Barg xeshi (base64, agar JSONda bo'lmasa)",
        "proof": "Kvitansiya yoki kiritilish isboti (JSON)",
        "submit": "Tekshirish",
        "valid": "Kvitansiya haqiqiy: yozuv jurnalda bor",
        "invalid": "Kvitansiya tasdiqlanmadi",
        "index": "Barg indeksi",
        "proof_size": "Isbot daraxti",
        "consistency": "Moslik isboti xeshlari",
        "reason": "Sabab",
        "how": "O'zingiz qanday tekshirasiz",
        "step_checkpoint": "Nazorat nuqtasi va ochiq kalitni oling; Ed25519 imzosini to'rt qatorli matn ustidan "
        "tekshiring:",
        "step_hash": "Barg va tugun xeshlari (RFC 9162 §2.1.1):",
        "step_inclusion": "Kiritilish isbotini oling va RFC 9162 §2.1.3.2 algoritmi bilan ildizgacha hisoblang:",
        "step_consistency": "Keyingi nazorat nuqtasi avvalgisini davom ettirishini tekshiring (RFC 9162 §2.1.4.2):",
        "step_timestamp": "Nazorat nuqtasining RFC 3161 vaqt tamg'asini tekshiring (timestamp_token, base64 DER):",
        "step_monitor": "Kuzatuvchilar butun daraxtni barg xeshlaridan qayta quradi:",
        "skip": "Asosiy mazmunga o'tish",
        "language": "Til",
    },
    "ru": {
        "title": "Прозрачный журнал: проверка",
        "intro": "Каждое событие обращения записывается в неизменяемый журнал (дерево Меркла RFC 9162). Платформа "
        "каждую секунду публикует подписанную контрольную точку (checkpoint). Квитанцию можно проверить, имея "
        "только контрольную точку и открытый ключ, никому не доверяя.",
        "current": "Текущая контрольная точка",
        "size": "Число записей",
        "root": "Корневой хеш",
        "signed": "Время подписи",
        "stamped": "Метка времени (TSA)",
        "none_yet": "Контрольной точки пока нет.",
        "not_stamped": "пока нет",
        "form": "Проверить квитанцию",
        "form_help": "Вставьте одно событие из ответа GET /api/v1/ledger/receipts/{номер} (leaf_hash и inclusion) или "
        "доказательство (leaf_index, tree_size, audit_path) в виде JSON.",
        "leaf_hash": "Хеш листа (base64, если его нет в JSON)",
        "proof": "Квитанция или доказательство включения (JSON)",
        "submit": "Проверить",
        "valid": "Квитанция подлинная: запись есть в журнале",
        "invalid": "Квитанция не подтверждена",
        "index": "Индекс листа",
        "proof_size": "Дерево доказательства",
        "consistency": "Хешей в доказательстве согласованности",
        "reason": "Причина",
        "how": "Как проверить самостоятельно",
        "step_checkpoint": "Получите контрольную точку и открытый ключ; проверьте подпись Ed25519 над текстом из "
        "четырёх строк:",
        "step_hash": "Хеши листьев и узлов (RFC 9162 §2.1.1):",
        "step_inclusion": "Получите доказательство включения и вычислите корень по алгоритму RFC 9162 §2.1.3.2:",
        "step_consistency": "Проверьте, что новая контрольная точка продолжает прежнюю (RFC 9162 §2.1.4.2):",
        "step_timestamp": "Проверьте метку времени RFC 3161 контрольной точки (timestamp_token, base64 DER):",
        "step_monitor": "Наблюдатели восстанавливают всё дерево по хешам листьев:",
        "skip": "Перейти к основному содержанию",
        "language": "Язык",
    },
    "en": {
        "title": "The transparency log: verify",
        "intro": "Every case event is written to an append-only log (an RFC 9162 Merkle tree). Every second the "
        "platform publishes a signed checkpoint. You can check a receipt with nothing but the checkpoint and the "
        "log's public key, trusting no one.",
        "current": "Current checkpoint",
        "size": "Entries",
        "root": "Root hash",
        "signed": "Signed at",
        "stamped": "Timestamp (TSA)",
        "none_yet": "No checkpoint yet.",
        "not_stamped": "not yet",
        "form": "Check a receipt",
        "form_help": "Paste one event of GET /api/v1/ledger/receipts/{number} (leaf_hash and inclusion) or an "
        "inclusion proof (leaf_index, tree_size, audit_path) as JSON.",
        "leaf_hash": "Leaf hash (base64, if not in the JSON)",
        "proof": "Receipt or inclusion proof (JSON)",
        "submit": "Check",
        "valid": "The receipt is genuine: the record is in the log",
        "invalid": "The receipt does not verify",
        "index": "Leaf index",
        "proof_size": "Tree of the proof",
        "consistency": "Hashes in the consistency proof",
        "reason": "Reason",
        "how": "How to verify it yourself",
        "step_checkpoint": "Fetch the checkpoint and the public key; check the Ed25519 signature over the four-line "
        "text:",
        "step_hash": "Leaf and node hashes (RFC 9162 §2.1.1):",
        "step_inclusion": "Fetch an inclusion proof and fold it up to the root with RFC 9162 §2.1.3.2:",
        "step_consistency": "Check that a later checkpoint extends an earlier one (RFC 9162 §2.1.4.2):",
        "step_timestamp": "Check the checkpoint's RFC 3161 timestamp (timestamp_token, base64 DER):",
        "step_monitor": "Monitors rebuild the whole tree from the leaf hashes:",
        "skip": "Skip to main content",
        "language": "Language",
    },
}


def _page(
    request: Request,
    platform: PlatformDep,
    language: str,
    *,
    verdict: ReceiptVerdict | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    checkpoint: CheckpointPublic | None
    try:
        checkpoint = platform.ledger.latest_checkpoint()
    except DomainError:
        checkpoint = None
    return templates.TemplateResponse(
        request,
        "transparency.html",
        {
            "t": TEXTS[language],
            "lang": language,
            "languages": LANGUAGES,
            "checkpoint": checkpoint,
            "verdict": verdict,
            "errors": errors or {},
            "values": values or {},
            "max_chars": MAX_RECEIPT_CHARS,
        },
        status_code=status_code,
    )


@router.get("/transparency", response_class=HTMLResponse)
def transparency(
    request: Request, platform: PlatformDep, lang: str | None = Query(default=None, max_length=5)
) -> HTMLResponse:
    return _page(request, platform, choose_language(request, lang))


@router.post("/transparency", response_class=HTMLResponse)
def check_receipt(
    request: Request,
    platform: PlatformDep,
    proof: Annotated[str, Form(max_length=MAX_RECEIPT_CHARS)] = "",
    leaf_hash: Annotated[str, Form(max_length=100)] = "",
    lang: Annotated[str | None, Form(max_length=5)] = None,
) -> HTMLResponse:
    """Public and read-only (no session, nothing written): no CSRF token is needed."""
    language = choose_language(request, lang)
    values = {"proof": proof, "leaf_hash": leaf_hash}
    try:
        verdict = platform.ledger.verify_receipt(parse_receipt(proof, leaf_hash))
    except DomainError as error:
        errors = {e.path: e.message for e in error.errors} or {"proof": error.detail}
        return _page(request, platform, language, errors=errors, values=values, status_code=error.status)
    return _page(request, platform, language, verdict=verdict, values=values)
