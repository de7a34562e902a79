"""The process-integrity rules, as data: code, severity, texts in uz/ru/en, the norm each one protects and
its parameters. The checks that evaluate them are in :mod:`shaffof.integrity.monitor`, one per code.

Where shared/legal.md names no norm, the rule says plainly that it is a platform rule; parameters that are
our choice (grace periods, thresholds, the reversal norm) are documented defaults an operator may change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shaffof.integrity.models import Severity
from shaffof.legal import Citation

ZRU445 = "https://lex.uz/docs/3336171"


@dataclass(frozen=True)
class IntegrityRule:
    code: str
    severity: Severity
    title: dict[str, str]
    description: dict[str, str]
    citation: Citation | None  # None: a platform rule (no norm in shared/legal.md requires it)
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def basis(self) -> str:
        return str(self.citation) if self.citation is not None else "Platform rule (no statutory norm)"


RULES: tuple[IntegrityRule, ...] = (
    IntegrityRule(
        code="closed_without_signed_answer",
        severity=Severity.high,
        title={
            "uz": "Imzolangan javobsiz yopilgan ish",
            "ru": "Дело закрыто без подписанного ответа",
            "en": "Closed without a signed answer",
        },
        description={
            "uz": "Ish yopilgan, lekin qaror hujjati elektron imzo bilan imzolanmagan (muhlat tugagandan keyin).",
            "ru": "Дело закрыто, но документ решения не подписан электронной подписью (после льготного срока).",
            "en": "The case was closed but no decision document signed electronically exists (after a grace period).",
        },
        citation=Citation(
            law="ZRU-793",
            title="An electronic signature equals a handwritten one: an unsigned answer has no legal force",
        ),
        params={"grace_hours": 24},
    ),
    IntegrityRule(
        code="decision_without_reasons",
        severity=Severity.high,
        title={"uz": "Asoslarsiz qaror", "ru": "Решение без мотивов", "en": "Decision without reasons"},
        description={
            "uz": "Qarorda asoslar yozilmagan yoki juda qisqa.",
            "ru": "В решении не указаны мотивы или они слишком кратки.",
            "en": "The decision states no reasons, or only a few characters.",
        },
        citation=None,
        params={"min_reason_chars": 10},
    ),
    IntegrityRule(
        code="decision_without_citation",
        severity=Severity.medium,
        title={
            "uz": "Qonun normasiga havolasiz qaror",
            "ru": "Решение без ссылки на норму закона",
            "en": "Decision without a legal citation",
        },
        description={
            "uz": "Qaror hech qanday qonun normasiga tayanmaydi (xizmatning huquqiy asosi ham, qaror ham).",
            "ru": "Решение не ссылается ни на одну норму (ни в правовой основе услуги, ни в самом решении).",
            "en": "Neither the service's legal basis nor the decision itself cites a norm.",
        },
        citation=None,
    ),
    IntegrityRule(
        code="answered_late_without_extension",
        severity=Severity.high,
        title={
            "uz": "Muddat uzaytirilmasdan kechikib berilgan javob",
            "ru": "Ответ после срока без продления",
            "en": "Answered after the deadline without an extension",
        },
        description={
            "uz": "Qaror javob muddatidan keyin qabul qilingan, muddatni uzaytirish qayd etilmagan.",
            "ru": "Решение принято после срока ответа, продление срока не оформлено.",
            "en": "The decision came after the answer deadline and no extension is on record.",
        },
        citation=Citation(
            law="ZRU-445",
            article="28",
            title="Applications and complaints are considered within 15 days; extensions only as Art. 28(2)-(3)",
            url=ZRU445,
        ),
    ),
    IntegrityRule(
        code="extension_after_deadline",
        severity=Severity.medium,
        title={
            "uz": "Muddat o'tgandan keyin uzaytirilgan",
            "ru": "Продление после истечения срока",
            "en": "Extension granted after the deadline had passed",
        },
        description={
            "uz": "Muddat allaqachon tugaganidan keyin uzaytirilgan.",
            "ru": "Срок продлён, когда он уже истёк.",
            "en": "The deadline was extended when it had already passed.",
        },
        citation=Citation(
            law="ZRU-445",
            article="28",
            part="2",
            title="A running term is extended for study (our reading: an expired term cannot be extended)",
            url=ZRU445,
        ),
    ),
    IntegrityRule(
        code="repeated_appeals",
        severity=Severity.low,
        title={
            "uz": "Bir masala bo'yicha takroriy murojaatlar",
            "ru": "Повторные обращения по одному вопросу",
            "en": "Repeated appeals on the same matter",
        },
        description={
            "uz": "Bir shaxs bir xizmat bo'yicha javob olgandan keyin yana murojaat qilgan: javob muammoni hal "
            "qilmagan bo'lishi mumkin.",
            "ru": "Один человек снова обращается по той же услуге после полученных ответов: возможно, ответ не "
            "решил вопрос.",
            "en": "The same person filed again on the same service after earlier answers: a sign the answers did "
            "not resolve the matter.",
        },
        citation=None,
        params={"answered_before": 2, "window_days": 365},
    ),
    IntegrityRule(
        code="reversal_rate_above_norm",
        severity=Severity.medium,
        title={
            "uz": "Qayta ko'rib chiqishda bekor qilish ulushi me'yordan yuqori",
            "ru": "Доля отмен при пересмотре выше нормы",
            "en": "Reversal rate on review above the norm",
        },
        description={
            "uz": "Xodim qarorlarining yuqori organ tomonidan bekor qilingan ulushi idora me'yoridan yuqori.",
            "ru": "Доля решений сотрудника, отменённых вышестоящим органом, выше нормы ведомства.",
            "en": "The share of an officer's decisions reversed on review by the higher body is above the agency's "
            "norm.",
        },
        citation=None,
        params={"norm": 0.10, "min_decisions": 10, "agency_norms": {}},
    ),
    IntegrityRule(
        code="document_changed_after_signing",
        severity=Severity.high,
        title={
            "uz": "Imzolangandan keyin o'zgargan hujjatlar",
            "ru": "Документы изменены после подписания",
            "en": "Documents changed after signing",
        },
        description={
            "uz": "Qaror imzolangandan keyin ishga hujjat qo'shilgan yoki almashtirilgan.",
            "ru": "После подписания решения в дело добавлен или заменён документ.",
            "en": "A document was added to or replaced in the case after the decision was signed.",
        },
        citation=Citation(
            law="ZRU-793",
            title="An electronic signature is authentic only over the content it signed",
        ),
    ),
    IntegrityRule(
        code="access_without_case",
        severity=Severity.high,
        title={
            "uz": "Ishsiz shaxsiy ma'lumotlarga kirish",
            "ru": "Доступ к персональным данным без дела",
            "en": "Access to personal data without a case",
        },
        description={
            "uz": "Shaxsning ma'lumotlariga uning ishi bo'lmagan holda murojaat qilingan.",
            "ru": "К данным человека обращались без его дела.",
            "en": "A person's data was looked at without a case of theirs that would justify it.",
        },
        citation=Citation(
            law="ZRU-547",
            article="18",
            title="Personal data is processed only on a legal ground, which every processing record cites",
        ),
    ),
)

RULES_BY_CODE = {rule.code: rule for rule in RULES}
