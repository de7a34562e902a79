"""The texts of notifications in Uzbek (Latin, the default), Russian and English.

Short and plain: what happened, to which case (its registration number), the case's state now, the
reason where there is one. The link to the case (``/cases/{number}``) is not part of the text: each
channel shows it its own way (the inbox as a link, an e-mail and an SMS as an absolute URL).

Texts are Jinja2 templates rendered as plain text (never HTML: the inbox UI escapes what it shows).
A template key is a stable identifier stored with each notification; add a key in all three languages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import jinja2

LANGUAGES = ("uz", "ru", "en")
DEFAULT_LANGUAGE = "uz"

STATE_NAMES: dict[str, dict[str, str]] = {
    "uz": {
        "submitted": "yuborilgan",
        "registered": "ro'yxatga olingan",
        "in_review": "ko'rib chiqilmoqda",
        "info_requested": "qo'shimcha ma'lumot kutilmoqda",
        "forwarded": "boshqa organga yuborilgan",
        "decided": "qaror qabul qilingan",
        "closed": "yopilgan",
    },
    "ru": {
        "submitted": "подано",
        "registered": "зарегистрировано",
        "in_review": "на рассмотрении",
        "info_requested": "ожидается дополнительная информация",
        "forwarded": "направлено в другой орган",
        "decided": "принято решение",
        "closed": "закрыто",
    },
    "en": {
        "submitted": "submitted",
        "registered": "registered",
        "in_review": "in review",
        "info_requested": "waiting for more information",
        "forwarded": "forwarded to another body",
        "decided": "decided",
        "closed": "closed",
    },
}

OUTCOME_NAMES: dict[str, dict[str, str]] = {
    "uz": {
        "approved": "qanoatlantirildi",
        "rejected": "rad etildi",
        "partially_approved": "qisman qanoatlantirildi",
        "left_unconsidered": "ko'rib chiqilmasdan qoldirildi",
    },
    "ru": {
        "approved": "удовлетворено",
        "rejected": "отказано",
        "partially_approved": "удовлетворено частично",
        "left_unconsidered": "оставлено без рассмотрения",
    },
    "en": {
        "approved": "approved",
        "rejected": "rejected",
        "partially_approved": "partially approved",
        "left_unconsidered": "left unconsidered",
    },
}

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# key → language → (subject, body)
TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "case.registered": {
        "uz": (
            "Murojaatingiz ro'yxatga olindi: {{ number }}",
            "Murojaatingiz {{ number }} raqami bilan ro'yxatga olindi. Holati: {{ state }}."
            "{% if due %} Javob muddati: {{ due }}.{% endif %}",
        ),
        "ru": (
            "Ваше обращение зарегистрировано: {{ number }}",
            "Ваше обращение зарегистрировано под номером {{ number }}. Статус: {{ state }}."
            "{% if due %} Срок ответа: {{ due }}.{% endif %}",
        ),
        "en": (
            "Your case has been registered: {{ number }}",
            "Your case has been registered under the number {{ number }}. State: {{ state }}."
            "{% if due %} Answer due by {{ due }}.{% endif %}",
        ),
    },
    "case.info_requested": {
        "uz": (
            "Qo'shimcha ma'lumot so'ralmoqda: {{ number }}",
            "{{ number }} raqamli murojaatingiz bo'yicha qo'shimcha ma'lumot so'raldi: {{ reason }}\n"
            "Holati: {{ state }}. Javobingizni portal orqali yuboring.",
        ),
        "ru": (
            "Запрошена дополнительная информация: {{ number }}",
            "По вашему обращению {{ number }} запрошена дополнительная информация: {{ reason }}\n"
            "Статус: {{ state }}. Ответьте через портал.",
        ),
        "en": (
            "More information is requested: {{ number }}",
            "More information is requested for your case {{ number }}: {{ reason }}\n"
            "State: {{ state }}. Answer through the portal.",
        ),
    },
    "case.forwarded": {
        "uz": (
            "Murojaatingiz boshqa organga yuborildi: {{ number }}",
            "{{ number }} raqamli murojaatingiz vakolatli organga yuborildi: {{ agency }}"
            "{% if new_number %}, yangi raqami {{ new_number }}{% endif %}. Holati: {{ state }}."
            "{% if reason %}\nSababi: {{ reason }}{% endif %}",
        ),
        "ru": (
            "Ваше обращение направлено в другой орган: {{ number }}",
            "Ваше обращение {{ number }} направлено в компетентный орган: {{ agency }}"
            "{% if new_number %}, новый номер {{ new_number }}{% endif %}. Статус: {{ state }}."
            "{% if reason %}\nПричина: {{ reason }}{% endif %}",
        ),
        "en": (
            "Your case has been forwarded: {{ number }}",
            "Your case {{ number }} has been forwarded to the competent body: {{ agency }}"
            "{% if new_number %}, new number {{ new_number }}{% endif %}. State: {{ state }}."
            "{% if reason %}\nReason: {{ reason }}{% endif %}",
        ),
    },
    "case.decided": {
        "uz": (
            "Murojaatingiz bo'yicha qaror qabul qilindi: {{ number }}",
            "{{ number }} raqamli murojaatingiz bo'yicha qaror: {{ outcome }}. Holati: {{ state }}."
            "{% if reason %}\nAsos: {{ reason }}{% endif %}\n"
            "Qaror ustidan bir yil ichida shikoyat qilishingiz mumkin.",
        ),
        "ru": (
            "По вашему обращению принято решение: {{ number }}",
            "Решение по вашему обращению {{ number }}: {{ outcome }}. Статус: {{ state }}."
            "{% if reason %}\nОснование: {{ reason }}{% endif %}\n"
            "Решение можно обжаловать в течение одного года.",
        ),
        "en": (
            "A decision has been made on your case: {{ number }}",
            "The decision on your case {{ number }}: {{ outcome }}. State: {{ state }}."
            "{% if reason %}\nReason: {{ reason }}{% endif %}\n"
            "You may contest the decision within one year.",
        ),
    },
    "case.contested": {
        "uz": (
            "Shikoyatingiz ko'rib chiqish uchun qabul qilindi: {{ review_number }}",
            "{{ number }} raqamli murojaat bo'yicha qaror ustidan shikoyatingiz {{ review_number }} raqami bilan "
            "ro'yxatga olindi va quyidagi organ tomonidan ko'rib chiqiladi: {{ agency }}.",
        ),
        "ru": (
            "Ваша жалоба принята к рассмотрению: {{ review_number }}",
            "Ваша жалоба на решение по обращению {{ number }} зарегистрирована под номером {{ review_number }} "
            "и будет рассмотрена органом: {{ agency }}.",
        ),
        "en": (
            "Your complaint has been opened for review: {{ review_number }}",
            "Your complaint about the decision on case {{ number }} has been registered as {{ review_number }} "
            "and will be reviewed by: {{ agency }}.",
        ),
    },
    "case.deadline_changed": {
        "uz": (
            "Javob muddati o'zgardi: {{ number }}",
            "{{ number }} raqamli murojaatingizga javob berish muddati: {{ due }}. Holati: {{ state }}."
            "{% if reason %}\nSababi: {{ reason }}{% endif %}",
        ),
        "ru": (
            "Срок ответа изменён: {{ number }}",
            "Срок ответа на ваше обращение {{ number }}: {{ due }}. Статус: {{ state }}."
            "{% if reason %}\nПричина: {{ reason }}{% endif %}",
        ),
        "en": (
            "The answer deadline has changed: {{ number }}",
            "The answer to your case {{ number }} is now due by {{ due }}. State: {{ state }}."
            "{% if reason %}\nReason: {{ reason }}{% endif %}",
        ),
    },
    "case.overdue": {
        "uz": (
            "Javob muddati o'tdi: {{ number }}",
            "{{ number }} raqamli murojaatingizga javob muddati ({{ due }}) o'tdi. Murojaat tashkilot rahbari "
            "nazoratiga olindi (ZRU-445, 28-modda).",
        ),
        "ru": (
            "Срок ответа истёк: {{ number }}",
            "Срок ответа на ваше обращение {{ number }} ({{ due }}) истёк. Обращение поставлено на контроль "
            "руководителя органа (ЗРУ-445, статья 28).",
        ),
        "en": (
            "The answer is late: {{ number }}",
            "The answer to your case {{ number }} was due by {{ due }}. The head of the body has been alerted "
            "(ZRU-445, Art. 28).",
        ),
    },
    # The data tracker (privacy/): someone read the person's data outside any case of theirs.
    "privacy.accessed": {
        "uz": (
            "Maʼlumotlaringiz koʻrildi: {{ agency }}",
            "{{ agency }} maʼlumotlaringizni ({{ categories }}) koʻrdi. Maqsad: {{ purpose }}."
            "{% if reason %} Koʻrsatilgan sabab: {{ reason }}.{% endif %} Batafsil: «Mening maʼlumotlarim» sahifasi.",
        ),
        "ru": (
            "Ваши данные просмотрены: {{ agency }}",
            "{{ agency }} обратился к вашим данным ({{ categories }}). Цель: {{ purpose }}."
            "{% if reason %} Указанная причина: {{ reason }}.{% endif %} Подробнее — на странице «Мои данные».",
        ),
        "en": (
            "Your data was read: {{ agency }}",
            "{{ agency }} read your data ({{ categories }}). Purpose: {{ purpose }}."
            "{% if reason %} Stated reason: {{ reason }}.{% endif %} Details: the 'My data' page.",
        ),
    },
    # For the staff of a body (the SLA monitor's escalations), not for applicants.
    "case.escalated": {
        "uz": (
            "Muddat nazorati: {{ number }}",
            "{{ number }} raqamli murojaat nazoratga olindi. Holati: {{ state }}."
            "{% if due %} Javob muddati: {{ due }}.{% endif %}{% if reason %}\n{{ reason }}{% endif %}",
        ),
        "ru": (
            "Контроль срока: {{ number }}",
            "Обращение {{ number }} поставлено на контроль. Статус: {{ state }}."
            "{% if due %} Срок ответа: {{ due }}.{% endif %}{% if reason %}\n{{ reason }}{% endif %}",
        ),
        "en": (
            "Deadline escalation: {{ number }}",
            "Case {{ number }} has been escalated. State: {{ state }}."
            "{% if due %} Answer due by {{ due }}.{% endif %}{% if reason %}\n{{ reason }}{% endif %}",
        ),
    },
}

_env = jinja2.Environment(
    autoescape=False,  # noqa: S701 - plain text, never HTML; every viewer escapes what it shows
    undefined=jinja2.ChainableUndefined,
    keep_trailing_newline=False,
)


@cache
def _compiled(source: str) -> jinja2.Template:
    return _env.from_string(source)


class UnknownTemplate(KeyError):
    """A programming error: a notification names a template that does not exist."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def choose_language(preferred: str | None) -> str:
    return preferred if preferred in LANGUAGES else DEFAULT_LANGUAGE


def format_day(day: dt.date, language: str) -> str:
    """A date as people write it in the language: 24.03.2026 (uz, ru), 24 Mar 2026 (en)."""
    if language == "en":
        return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day:%d.%m.%Y}"


def render(key: str, language: str, params: Mapping[str, object]) -> Rendered:
    """Render a template in a language.

    Values are shown in the language: ``state`` and ``outcome`` by name, ``due`` (an ISO date) as people
    write dates, and any ``{"uz": …, "ru": …, "en": …}`` mapping (an agency's name) by its entry.
    """
    try:
        variants = TEMPLATES[key]
    except KeyError:
        raise UnknownTemplate(f"no notification template {key!r}; known: {', '.join(sorted(TEMPLATES))}") from None
    language = choose_language(language)
    subject, body = variants[language]
    values: dict[str, object] = {}
    for name, raw in params.items():
        value = raw
        if isinstance(raw, Mapping):
            value = raw.get(language) or raw.get(DEFAULT_LANGUAGE) or next(iter(raw.values()), "")
        elif name == "state" and isinstance(raw, str):
            value = STATE_NAMES[language].get(raw, raw)
        elif name == "outcome" and isinstance(raw, str):
            value = OUTCOME_NAMES[language].get(raw, raw)
        elif name == "due" and isinstance(raw, str):
            value = format_day(dt.date.fromisoformat(raw[:10]), language)
        values[name] = value
    return Rendered(
        subject=_compiled(subject).render(values).strip(),
        body=_compiled(body).render(values).strip(),
    )
