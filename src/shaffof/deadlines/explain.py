"""How a due date was computed, in words a citizen can check: Uzbek (Latin), Russian, English.

``explain(computation, lang)`` turns the steps of :func:`shaffof.deadlines.counting.compute` into
sentences, e.g. "Received Friday 6 March 2026; 15 days → Saturday 21 March 2026, a day off (Nowruz),
as are Sunday 22 March 2026 (weekend) and Monday 23 March 2026 (Nowruz (observed)), so the deadline
moves to Tuesday 24 March 2026." Month and weekday names are ours (no locale data needed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from shaffof.deadlines.calendar import Day, DaySource
from shaffof.deadlines.counting import AdjustmentKind, Computation, OutsideHours
from shaffof.deadlines.policies import Unit

LANGUAGES = ("uz", "ru", "en")

WEEKDAYS = {
    "uz": ("dushanba", "seshanba", "chorshanba", "payshanba", "juma", "shanba", "yakshanba"),
    "ru": ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS = {
    "uz": (
        "yanvar",
        "fevral",
        "mart",
        "aprel",
        "may",
        "iyun",
        "iyul",
        "avgust",
        "sentabr",
        "oktabr",
        "noyabr",
        "dekabr",
    ),
    # Russian months in the genitive, as a date is written ("6 марта").
    "ru": (
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "received": "Received {date}",
        "received_at": "Received {date} at {time}",
        "after_hours": ", after working hours (they end at {time}), so counting starts on the next working day, {date}",
        "day_off": ", a day off ({reason}), so counting starts on the next working day, {date}",
        "same_working_day": "the same working day → {date}",
        "period": "{period} → {date}",
        "period_base": "{period} ({description}) → {date}",
        "period_more": "{period} more → {date}",
        "clipped": " (the month has no day {day})",
        "not_counting": " (not counting {days})",
        "study_extension": "extended by {period} for additional study → {date}",
        "exceptional_extension": "extended in an exceptional case, by decision of the head of the body, "
        "by {period} → {date}",
        "clock_stop": "the clock stopped from {start} to {end} while information was awaited from the applicant: "
        "{period} added → {date}",
        "clock_open": "the clock has been stopped since {start} while information is awaited from the applicant; "
        "the deadline moves by the time it stays stopped",
        "rolled": ", a day off ({reason})",
        "rolled_more": ", as are {days}",
        "rolled_to": ", so the deadline moves to {date}",
        "not_rolled": ", a day off ({reason}); this policy does not move a deadline off a day off",
        "due": "Due by the end of {date} (23:59, {tz}).",
        "and": "and",
    },
    "ru": {
        "received": "Поступило: {date}",
        "received_at": "Поступило: {date}, {time}",
        "after_hours": ", после окончания рабочего времени ({time}), "
        "поэтому счёт начинается со следующего рабочего дня: "
        "{date}",
        "day_off": ", в нерабочий день ({reason}), поэтому счёт начинается со следующего рабочего дня: {date}",
        "same_working_day": "в тот же рабочий день → {date}",
        "period": "{period} → {date}",
        "period_base": "{period} ({description}) → {date}",
        "period_more": "ещё {period} → {date}",
        "clipped": " (в этом месяце нет {day}-го числа)",
        "not_counting": " (не считая {days})",
        "study_extension": "продлён на {period} для дополнительного изучения → {date}",
        "exceptional_extension": "в исключительном случае продлён решением руководителя органа на {period} → {date}",
        "clock_stop": "срок приостанавливался с {start} по {end}, пока от заявителя ожидалась информация: "
        "добавлено {period} → {date}",
        "clock_open": "срок приостановлен с {start}, пока от заявителя ожидается информация; "
        "он сдвинется на время остановки",
        "rolled": " — нерабочий день ({reason})",
        "rolled_more": ", как и {days}",
        "rolled_to": ", поэтому срок переносится на {date}",
        "not_rolled": " — нерабочий день ({reason}); по этому правилу срок не переносится",
        "due": "Срок истекает в конце дня {date} (23:59, {tz}).",
        "and": "и",
    },
    "uz": {
        "received": "Qabul qilingan: {date}",
        "received_at": "Qabul qilingan: {date}, soat {time}",
        "after_hours": ", ish vaqti tugaganidan keyin (soat {time}), "
        "shuning uchun hisob keyingi ish kunidan boshlanadi: "
        "{date}",
        "day_off": ", dam olish kunida ({reason}), shuning uchun hisob keyingi ish kunidan boshlanadi: {date}",
        "same_working_day": "o'sha ish kuni → {date}",
        "period": "{period} → {date}",
        "period_base": "{period} ({description}) → {date}",
        "period_more": "yana {period} → {date}",
        "clipped": " (bu oyda {day}-sana yo'q)",
        "not_counting": " ({days} hisobga olinmaydi)",
        "study_extension": "qo'shimcha o'rganish uchun {period}ga uzaytirildi → {date}",
        "exceptional_extension": "alohida holda organ rahbarining qarori bilan {period}ga uzaytirildi → {date}",
        "clock_stop": "{start} — {end} oralig'ida arizachidan ma'lumot kutilib, muddat to'xtatilgan: "
        "{period} qo'shildi → {date}",
        "clock_open": "{start} kunidan beri arizachidan ma'lumot kutilmoqda, muddat to'xtatilgan; "
        "u to'xtab turgan vaqtga suriladi",
        "rolled": " — dam olish kuni ({reason})",
        "rolled_more": ", shuningdek {days}",
        "rolled_to": ", shuning uchun muddat keyingi ish kuniga suriladi: {date}",
        "not_rolled": " — dam olish kuni ({reason}); bu qoida bo'yicha muddat surilmaydi",
        "due": "Muddat {date} kuni oxirida tugaydi (23:59, {tz}).",
        "and": "va",
    },
}


def format_date(day: dt.date, lang: str, note: str | None = None) -> str:
    """ "Friday 6 March 2026", "6 марта 2026 г. (пятница)", "2026-yil 6-mart (juma)"; ``note`` is added
    in brackets ("Sunday 22 March 2026 (weekend)", "22 марта 2026 г. (воскресенье, выходной)")."""
    weekday, month = WEEKDAYS[lang][day.weekday()], MONTHS[lang][day.month - 1]
    # The weekday in brackets keeps the date's grammar intact after prepositions ("с 10 марта 2026 г. (вторник)").
    bracket = f"{weekday}, {note}" if note else weekday
    if lang == "ru":
        return f"{day.day} {month} {day.year} г. ({bracket})"
    if lang == "uz":
        return f"{day.year}-yil {day.day}-{month} ({bracket})"
    return f"{weekday} {day.day} {month} {day.year}" + (f" ({note})" if note else "")


def _plural_ru(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def period(amount: int, unit: Unit, lang: str) -> str:
    """ "15 days", "10 ish kuni", "1 месяц"."""
    if lang == "ru":
        forms = {
            Unit.calendar_days: ("день", "дня", "дней"),
            Unit.working_days: ("рабочий день", "рабочих дня", "рабочих дней"),
            Unit.months: ("месяц", "месяца", "месяцев"),
        }[unit]
        return f"{amount} {_plural_ru(amount, *forms)}"
    if lang == "uz":
        return f"{amount} " + {Unit.calendar_days: "kun", Unit.working_days: "ish kuni", Unit.months: "oy"}[unit]
    word = {Unit.calendar_days: "day", Unit.working_days: "working day", Unit.months: "month"}[unit]
    return f"{amount} {word}" + ("" if amount == 1 else "s")


def _join(items: Sequence[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {TEXTS[lang]['and']} {items[-1]}"


def _day_with_reason(day: Day, lang: str) -> str:
    return format_date(day.on, lang, day.reason(lang))


def _weekend_days(n: int, lang: str) -> str:
    if lang == "ru":
        return f"{n} {_plural_ru(n, 'выходного дня', 'выходных дней', 'выходных дней')}"
    if lang == "uz":
        return f"{n} ta dam olish kuni"
    return f"{n} weekend day" + ("" if n == 1 else "s")


def _not_counting(days: Sequence[Day], lang: str) -> str:
    if not days:
        return ""
    named = [_day_with_reason(d, lang) for d in days if d.source is not DaySource.weekend]
    weekends = sum(d.source is DaySource.weekend for d in days)
    parts = ([_weekend_days(weekends, lang)] if weekends else []) + named
    return TEXTS[lang]["not_counting"].format(days=_join(parts, lang))


@dataclass(frozen=True)
class Step:
    kind: str  # received | period | study_extension | exceptional_extension | clock_stop | clock_open | due
    on: dt.date | None
    text: str


@dataclass(frozen=True)
class Explanation:
    lang: str
    text: str
    steps: tuple[Step, ...]


def _period_steps(c: Computation, lang: str, t: dict[str, str]) -> list[Step]:
    policy = c.policy
    steps: list[Step] = []
    if c.base is not None:
        base = c.base
        steps.append(
            Step(
                "period",
                base.last,
                t["period_base"].format(
                    period=period(base.policy.amount, base.policy.unit, lang),
                    description=base.policy.describe(lang),
                    date=format_date(base.last, lang),
                ),
            )
        )
        text = t["period_more"].format(
            period=period(policy.amount, policy.unit, lang), date=format_date(c.period_last, lang)
        )
    elif policy.unit is Unit.working_days and policy.amount == 0:
        text = t["same_working_day"].format(date=format_date(c.period_last, lang))
    else:
        text = t["period"].format(
            period=period(policy.amount, policy.unit, lang), date=format_date(c.period_last, lang)
        )
    if c.month_clipped:
        origin = c.base.last if c.base is not None else c.start_on
        text += t["clipped"].format(day=origin.day)
    text += _not_counting(c.period_skipped, lang)
    steps.append(Step("period", c.period_last, text))
    return steps


def explain(c: Computation, lang: str) -> Explanation:
    """The computation in ``lang`` (uz, ru or en): one sentence per stage, and the whole text."""
    if lang not in TEXTS:
        lang = "uz"
    t = TEXTS[lang]
    policy = c.policy
    zone = ZoneInfo(c.timezone)
    local = c.received_at.astimezone(zone)
    if policy.starts_next_working_day_outside_hours:
        received = t["received_at"].format(date=format_date(c.received_on, lang), time=local.strftime("%H:%M"))
    else:
        received = t["received"].format(date=format_date(c.received_on, lang))
    if c.outside_hours is OutsideHours.after_hours:
        received += t["after_hours"].format(
            time=c.working_day_ends.strftime("%H:%M"), date=format_date(c.start_on, lang)
        )
        received += _not_counting(c.start_passed, lang)
    elif c.outside_hours is OutsideHours.day_off:
        received += t["day_off"].format(reason=c.received_day.reason(lang), date=format_date(c.start_on, lang))
        received += _not_counting(c.start_passed, lang)
    steps = [Step("received", c.received_on, received), *_period_steps(c, lang, t)]

    for applied in c.adjustments:
        adjustment, kind = applied.adjustment, applied.adjustment.kind
        amount = period(
            applied.days, Unit.working_days if policy.unit is Unit.working_days else Unit.calendar_days, lang
        )
        if kind is AdjustmentKind.clock_stop:
            assert adjustment.stopped_at is not None and adjustment.restarted_at is not None
            text = t["clock_stop"].format(
                start=format_date(adjustment.stopped_at.astimezone(zone).date(), lang),
                end=format_date(adjustment.restarted_at.astimezone(zone).date(), lang),
                period=amount,
                date=format_date(applied.last, lang),
            )
        else:
            text = t[kind.value].format(period=amount, date=format_date(applied.last, lang))
        steps.append(Step(kind.value, applied.last, text + _not_counting(applied.skipped, lang)))
    if c.clock_stopped_since is not None:
        since = c.clock_stopped_since.astimezone(zone).date()
        steps.append(Step("clock_open", since, t["clock_open"].format(start=format_date(since, lang))))

    # The roll-forward reads as the end of the sentence that reached the last day.
    if c.rolled_over:
        first, *more = c.rolled_over
        tail = t["rolled"].format(reason=first.reason(lang))
        if more:
            tail += t["rolled_more"].format(days=_join([_day_with_reason(d, lang) for d in more], lang))
        tail += t["rolled_to"].format(date=format_date(c.due_on, lang))
        last_index = max(i for i, s in enumerate(steps) if s.kind != "clock_open")
        previous = steps[last_index]
        steps[last_index] = Step(previous.kind, previous.on, previous.text + tail)
    elif not c.last_day.working:
        last_index = max(i for i, s in enumerate(steps) if s.kind != "clock_open")
        previous = steps[last_index]
        tail = t["not_rolled"].format(reason=c.last_day.reason(lang))
        steps[last_index] = Step(previous.kind, previous.on, previous.text + tail)

    due = Step("due", c.due_on, t["due"].format(date=format_date(c.due_on, lang), tz=c.timezone))
    body = "; ".join(s.text for s in steps)
    text = f"{body}{'' if body.endswith('.') else '.'} {due.text}"
    return Explanation(lang, text, (*steps, due))
