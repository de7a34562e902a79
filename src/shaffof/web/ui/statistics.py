"""The public statistics dashboard (``/statistics``): figures, charts and tables, filters, no JavaScript.

Every chart is followed by a table of the same figures. Groups with too few decisions are listed apart
and never ranked (FixMyStreet issue #1957). Filters are a plain GET form; a bad filter is shown next to
its field and nothing is counted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from shaffof.catalog import service as catalog
from shaffof.errors import DomainError
from shaffof.reports.charts import Bar, grouped_columns, horizontal_bars
from shaffof.reports.service import Dashboard, Filters
from shaffof.web.deps import PlatformDep
from shaffof.web.ui.views import LANGUAGES, choose_language, templates

router = APIRouter(include_in_schema=False)

TEXTS: dict[str, dict[str, str]] = {
    "uz": {
        "title": "Raqamlarda shaffoflik",
        "intro": "Davlat organlari murojaat va arizalarni qanday ko'rib chiqayotgani: qabul qilingan, hal qilingan, "
        "muddatida javob berilgan. Faqat umumlashtirilgan raqamlar, shaxsiy ma'lumotlarsiz.",
        "filters": "Saralash",
        "from": "Boshlanish oyi (YYYY-MM)",
        "to": "Tugash oyi (YYYY-MM)",
        "agency": "Tashkilot",
        "service": "Xizmat",
        "region": "Hudud",
        "all": "Hammasi",
        "show": "Ko'rsatish",
        "errors": "Xatolarni tuzating",
        "summary": "Asosiy ko'rsatkichlar",
        "received": "Qabul qilingan",
        "online_share": "Onlayn ulushi",
        "decided": "Hal qilingan",
        "on_time": "Muddatida",
        "overdue_now": "Hozir muddati o'tgan",
        "median": "Ko'rib chiqish muddati, mediana (kun)",
        "p90": "90-protsentil (kun)",
        "automated": "Avtomatik qarorlar",
        "contested": "Shikoyat qilingan",
        "changed": "Ko'rib chiqishda o'zgartirilgan",
        "rating": "O'rtacha baho (1–5)",
        "trend": "Oylar bo'yicha",
        "trend_desc": "Har oy qabul qilingan va hal qilingan ishlar soni.",
        "month": "Oy",
        "comparison": "Tashkilotlar: muddatida javob ulushi",
        "comparison_desc": "Hal qilingan ishlarning muddatida berilgan ulushi, kamayish tartibida.",
        "small_note": "Taqqoslash uchun juda kam qaror (kamida {n} ta kerak), reytingga kiritilmagan:",
        "overdue_board": "Muddati o'tgan ishlar hozir",
        "overdue_desc": "Javob muddati o'tgan ochiq ishlar soni, tashkilotlar bo'yicha.",
        "none": "Yo'q.",
        "n": "soni",
        "downloads": "Ochiq ma'lumotlar",
        "csv": "CSV",
        "json": "JSON",
        "dictionary": "Ma'lumotlar lug'ati",
        "findings": "Halollik monitorining ochiq topilmalari (tashkilot va qoida bo'yicha soni)",
        "egdi": "BMT elektron hukumat indeksi (EGDI)",
        "period": "Davr",
        "skip": "Asosiy mazmunga o'tish",
        "language": "Til",
        "home": "Bosh sahifa",
    },
    "ru": {
        "title": "Прозрачность в цифрах",
        "intro": "Как государственные органы рассматривают обращения и заявления: получено, решено, отвечено в срок. "
        "Только обобщённые числа, без персональных данных.",
        "filters": "Фильтры",
        "from": "Первый месяц (ГГГГ-ММ)",
        "to": "Последний месяц (ГГГГ-ММ)",
        "agency": "Ведомство",
        "service": "Услуга",
        "region": "Регион",
        "all": "Все",
        "show": "Показать",
        "errors": "Исправьте ошибки",
        "summary": "Основные показатели",
        "received": "Получено",
        "online_share": "Доля онлайн",
        "decided": "Решено",
        "on_time": "В срок",
        "overdue_now": "Просрочено сейчас",
        "median": "Срок рассмотрения, медиана (дней)",
        "p90": "90-й процентиль (дней)",
        "automated": "Автоматические решения",
        "contested": "Обжаловано",
        "changed": "Изменено при пересмотре",
        "rating": "Средняя оценка (1–5)",
        "trend": "По месяцам",
        "trend_desc": "Число полученных и решённых дел за каждый месяц.",
        "month": "Месяц",
        "comparison": "Ведомства: доля ответов в срок",
        "comparison_desc": "Доля решений, принятых в срок, по убыванию.",
        "small_note": "Слишком мало решений для сравнения (нужно не менее {n}), в рейтинг не включены:",
        "overdue_board": "Просроченные дела сейчас",
        "overdue_desc": "Число открытых дел с истёкшим сроком ответа по ведомствам.",
        "none": "Нет.",
        "n": "число",
        "downloads": "Открытые данные",
        "csv": "CSV",
        "json": "JSON",
        "dictionary": "Словарь данных",
        "findings": "Открытые находки монитора добросовестности (число по органам и правилам)",
        "egdi": "Индекс развития электронного правительства ООН (EGDI)",
        "period": "Период",
        "skip": "Перейти к основному содержанию",
        "language": "Язык",
        "home": "Главная",
    },
    "en": {
        "title": "Transparency in numbers",
        "intro": "How public bodies handle appeals and applications: received, decided, answered on time. "
        "Aggregates only, no personal data.",
        "filters": "Filters",
        "from": "First month (YYYY-MM)",
        "to": "Last month (YYYY-MM)",
        "agency": "Agency",
        "service": "Service",
        "region": "Region",
        "all": "All",
        "show": "Show",
        "errors": "Correct the errors",
        "summary": "Key figures",
        "received": "Received",
        "online_share": "Online share",
        "decided": "Decided",
        "on_time": "On time",
        "overdue_now": "Overdue now",
        "median": "Processing time, median (days)",
        "p90": "90th percentile (days)",
        "automated": "Automated decisions",
        "contested": "Contested",
        "changed": "Changed on review",
        "rating": "Average rating (1–5)",
        "trend": "Month by month",
        "trend_desc": "Cases received and decided in each month.",
        "month": "Month",
        "comparison": "Agencies: share answered on time",
        "comparison_desc": "Share of decisions made on time, highest first.",
        "small_note": "Too few decisions to compare (at least {n} needed), not ranked:",
        "overdue_board": "Overdue cases now",
        "overdue_desc": "Open cases past their answer deadline, by agency.",
        "none": "None.",
        "n": "count",
        "downloads": "Open data",
        "csv": "CSV",
        "json": "JSON",
        "dictionary": "Data dictionary",
        "findings": "Open findings of the integrity monitor (counts per body and rule)",
        "egdi": "UN E-Government Development Index (EGDI)",
        "period": "Period",
        "skip": "Skip to main content",
        "language": "Language",
        "home": "Home",
    },
}
FIELDS = {"from": "from", "to": "to", "agency": "agency", "service": "service", "region": "region"}


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


@router.get("/statistics", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    platform: PlatformDep,
    lang: str | None = Query(default=None, max_length=5),
    from_: str | None = Query(default=None, alias="from", max_length=16),
    to: str | None = Query(default=None, max_length=16),
    agency: str | None = Query(default=None, max_length=32),
    service: str | None = Query(default=None, max_length=80),
    region: str | None = Query(default=None, max_length=64),
) -> HTMLResponse:
    language = choose_language(request, lang)
    t = TEXTS[language]
    chosen = {
        "from": from_ or None,
        "to": to or None,
        "agency": agency or None,
        "service": service or None,
        "region": region or None,
    }
    errors: dict[str, str] = {}
    dashboard: Dashboard | None = None
    try:
        dashboard = platform.statistics.dashboard(
            Filters(
                from_month=chosen["from"],
                to_month=chosen["to"],
                agency=chosen["agency"],
                service=chosen["service"],
                region=chosen["region"],
            ),
            language=language,
        )
    except DomainError as error:
        errors = {FIELDS.get(e.path, "from"): e.message for e in error.errors} or {"from": error.detail}
    with platform.db.reading() as session:
        agencies = sorted((a.code, a.name[language]) for a in catalog.list_agencies(session))
        services = sorted((s.code, s.name[language]) for s in catalog.list_services(session))
        regions = sorted({a.region for a in catalog.list_agencies(session) if a.region})
    context: dict[str, Any] = {
        "t": t,
        "lang": language,
        "languages": LANGUAGES,
        "chosen": chosen,
        "errors": errors,
        "agencies": agencies,
        "services": services,
        "regions": regions,
        "percent": percent,
        "query": _query(chosen, language),
    }
    if dashboard is not None:
        context.update(_charts(dashboard, t, platform.statistics.small_number))
    status = 422 if errors else 200
    return templates.TemplateResponse(request, "statistics.html", context, status_code=status)


def _charts(dashboard: Dashboard, t: dict[str, str], small_number: int) -> dict[str, Any]:
    by_agency, by_month = dashboard.by_agency, dashboard.by_month
    ranked = sorted(
        (r for r in by_agency.rows if not r.measures.small and r.measures.on_time_share is not None),
        key=lambda r: (-(r.measures.on_time_share or 0), r.key),
    )
    small = [r for r in by_agency.rows if r.measures.small and r.measures.received + r.measures.decided > 0]
    overdue = sorted(
        (r for r in by_agency.rows if r.measures.overdue_now), key=lambda r: (-(r.measures.overdue_now or 0), r.key)
    )
    months = [r.key for r in by_month.rows]
    return {
        "report": by_agency,
        "total": by_agency.total,
        "months": by_month.rows,
        "ranked": ranked,
        "small": small,
        "overdue": overdue,
        "small_note": t["small_note"].format(n=small_number),
        "trend_chart": grouped_columns(
            t["trend"],
            t["trend_desc"],
            months,
            [
                (t["received"], [r.measures.received for r in by_month.rows]),
                (t["decided"], [r.measures.decided for r in by_month.rows]),
            ],
        )
        if months
        else None,
        "comparison_chart": horizontal_bars(
            t["comparison"],
            t["comparison_desc"],
            [Bar(r.label, r.measures.on_time_share or 0, percent(r.measures.on_time_share)) for r in ranked],
            maximum=1.0,
        )
        if ranked
        else None,
        "overdue_chart": horizontal_bars(
            t["overdue_board"],
            t["overdue_desc"],
            [Bar(r.label, r.measures.overdue_now or 0, f"{r.measures.overdue_now:,}") for r in overdue],
        )
        if overdue
        else None,
    }


def _query(chosen: dict[str, str | None], language: str) -> str:
    return urlencode({**{k: v for k, v in chosen.items() if v}, "lang": language})


EGDI_TEXTS: dict[str, dict[str, str]] = {
    "uz": {
        "title": "BMT elektron hukumat rivojlanish indeksi (EGDI)",
        "intro": "EGDI = (OSI + TII + HCI) / 3. Har bir qiymat manbasi bilan; manbasi topilmagan qiymatlar bo'sh.",
        "edition": "Nashr yili",
        "country": "Mamlakat",
        "show": "Ko'rsatish",
        "chart": "EGDI bo'yicha mamlakatlar",
        "chart_desc": "E'lon qilingan EGDI qiymatlari, kamayish tartibida.",
        "rank": "O'rin",
        "computed": "(OSI+TII+HCI)/3",
        "group": "Guruh",
        "sources": "Manbalar",
        "standing": "Mamlakat qayerda turibdi",
        "moves": "Ballni eng ko'p oshiradigan komponent",
        "no_components": "Bu nashr uchun komponentlar manbasi topilmadi.",
        "gain": "Eng yaxshi darajaga yetsa EGDI ga qo'shiladi",
        "self": "Ushbu tizim katalogining o'z-o'zini baholashi (OSI uslubida)",
        "feature": "Xususiyat",
        "share": "Ulush",
        "services": "Xizmatlar",
        "method": "Uslub",
        "skip": "Asosiy mazmunga o'tish",
        "language": "Til",
        "home": "Bosh sahifa",
        "back": "Statistika",
    },
    "ru": {
        "title": "Индекс развития электронного правительства ООН (EGDI)",
        "intro": "EGDI = (OSI + TII + HCI) / 3. Каждое значение — с источником; не найденные в источниках пусты.",
        "edition": "Год издания",
        "country": "Страна",
        "show": "Показать",
        "chart": "Страны по EGDI",
        "chart_desc": "Опубликованные значения EGDI по убыванию.",
        "rank": "Место",
        "computed": "(OSI+TII+HCI)/3",
        "group": "Группа",
        "sources": "Источники",
        "standing": "Где стоит страна",
        "moves": "Компонент, сильнее всего двигающий индекс",
        "no_components": "Источник компонентов для этого издания не найден.",
        "gain": "Прибавка к EGDI при достижении лучшего значения",
        "self": "Самооценка каталога этой системы (по образцу OSI)",
        "feature": "Признак",
        "share": "Доля",
        "services": "Услуги",
        "method": "Метод",
        "skip": "Перейти к основному содержанию",
        "language": "Язык",
        "home": "Главная",
        "back": "Статистика",
    },
    "en": {
        "title": "UN E-Government Development Index (EGDI)",
        "intro": "EGDI = (OSI + TII + HCI) / 3. Every value with its source; values no source gave are left empty.",
        "edition": "Edition",
        "country": "Country",
        "show": "Show",
        "chart": "Countries by EGDI",
        "chart_desc": "Published EGDI values, highest first.",
        "rank": "Rank",
        "computed": "(OSI+TII+HCI)/3",
        "group": "Group",
        "sources": "Sources",
        "standing": "Where the country stands",
        "moves": "Component that moves the score most",
        "no_components": "No source for the components of this edition was found.",
        "gain": "Added to EGDI by reaching the best",
        "self": "Self-assessment of this deployment's catalogue (OSI-style)",
        "feature": "Feature",
        "share": "Share",
        "services": "Services",
        "method": "Method",
        "skip": "Skip to main content",
        "language": "Language",
        "home": "Home",
        "back": "Statistics",
    },
}


@router.get("/statistics/egdi", response_class=HTMLResponse)
def egdi_page(
    request: Request,
    platform: PlatformDep,
    lang: str | None = Query(default=None, max_length=5),
    edition: str = Query(default="2024", max_length=8),
    country: str | None = Query(default=None, max_length=8),
) -> HTMLResponse:
    from shaffof.reports import egdi as un
    from shaffof.reports.selfassessment import assess

    language = choose_language(request, lang)
    t = EGDI_TEXTS[language]
    method, editions = un.load()
    errors: dict[str, str] = {}
    chosen = editions.get(edition)
    if chosen is None:
        errors["edition"] = f"{edition}: {', '.join(sorted(editions))}"
        chosen = editions["2024"]
    rows = un.reproduce(chosen.year)
    standing = None
    if country and not errors:
        try:
            standing = un.standing(chosen.year, country)
        except DomainError as error:
            errors["country"] = error.detail
    ranked = [r for r in rows if r["country"].egdi is not None]
    chart = (
        horizontal_bars(
            t["chart"],
            t["chart_desc"],
            [
                Bar(f"{r['country'].name} (#{r['country'].rank})", r["country"].egdi, f"{r['country'].egdi:.4f}")
                for r in sorted(ranked, key=lambda r: -r["country"].egdi)
            ],
            maximum=1.0,
        )
        if ranked
        else None
    )
    context = {
        "t": t,
        "lang": language,
        "languages": LANGUAGES,
        "method": method,
        "editions": sorted(editions, reverse=True),
        "edition": chosen.year,
        "country": (country or "").upper(),
        "rows": rows,
        "chart": chart,
        "standing": standing,
        "errors": errors,
        "features": assess(platform.db),
        "percent": percent,
        "group": un.group,
    }
    return templates.TemplateResponse(request, "egdi.html", context, status_code=422 if errors else 200)
