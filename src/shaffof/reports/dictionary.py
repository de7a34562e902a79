"""The data dictionary of the open statistics: what every published column means and where it comes from.

Published with the data (``GET /api/v1/statistics/dictionary``, ``shaffof export --stats --dictionary``)
so a journalist can read a figure without reading the code. Only aggregates are published — counts,
shares, days — never a person's data (ZRU-547).
"""

from __future__ import annotations

from shaffof.reports.schemas import DictionaryEntry

_E = DictionaryEntry

DICTIONARY: tuple[DictionaryEntry, ...] = (
    _E(
        name="group_by",
        type="string",
        unit="",
        definition="What the rows are grouped by: total, agency, service, region or month.",
        source="the request",
    ),
    _E(
        name="key",
        type="string",
        unit="",
        definition="The group: an agency code, a service code, an ISO 3166-2 "
        "region code, a month (YYYY-MM) or 'total'.",
        source="catalogue",
    ),
    _E(
        name="label",
        type="string",
        unit="",
        definition="The group's name in the requested language.",
        source="catalogue",
    ),
    _E(
        name="from_month",
        type="string",
        unit="YYYY-MM",
        definition="First month counted (months in Tashkent time).",
        source="the request",
    ),
    _E(name="to_month", type="string", unit="YYYY-MM", definition="Last month counted.", source="the request"),
    _E(
        name="received",
        type="integer",
        unit="cases",
        definition="Cases received (registered on receipt, ZRU-445 "
        "Art. 23) by the body in the period, including cases forwarded to it and reviews of contested decisions.",
        source="case event 'submitted'",
    ),
    _E(
        name="received_online",
        type="integer",
        unit="cases",
        definition="Of those, received through the portal, the API or the mobile application.",
        source="case channel",
    ),
    _E(
        name="received_service_centre",
        type="integer",
        unit="cases",
        definition="Of those, filed at a public service centre.",
        source="case channel",
    ),
    _E(
        name="online_share",
        type="number",
        unit="fraction 0..1",
        definition="received_online / received: the online uptake of the services.",
        source="computed",
    ),
    _E(
        name="forwarded",
        type="integer",
        unit="cases",
        definition="Cases the body forwarded to the competent body "
        "(ZRU-445; the receiving body counts them as received).",
        source="case event 'forwarded'",
    ),
    _E(
        name="decided",
        type="integer",
        unit="decisions",
        definition="Decisions made in the period.",
        source="case event 'decided'",
    ),
    _E(
        name="decided_on_time",
        type="integer",
        unit="decisions",
        definition="Decisions made by the answer "
        "deadline in force at the time (after lawful extensions, ZRU-445 Art. 28).",
        source="case event 'decided' and the case's due date",
    ),
    _E(
        name="on_time_share",
        type="number",
        unit="fraction 0..1",
        definition="decided_on_time / decisions that had a deadline.",
        source="computed",
    ),
    _E(
        name="overdue_now",
        type="integer",
        unit="cases",
        definition="Open cases past their answer deadline at the "
        "moment of the request; empty when grouped by month (it is a figure of today, not of a past month).",
        source="open cases",
    ),
    _E(
        name="median_processing_days",
        type="integer",
        unit="calendar days",
        definition="Median of the days from "
        "receipt to decision (local dates, nearest-rank), over the decisions of the period.",
        source="processing-day histogram",
    ),
    _E(
        name="p90_processing_days",
        type="integer",
        unit="calendar days",
        definition="90th percentile of the same (nearest-rank); times past 366 days count as 366.",
        source="processing-day histogram",
    ),
    _E(
        name="decided_automatically",
        type="integer",
        unit="decisions",
        definition="Decisions made by rules without "
        "a person (each keeps its trace and may be reviewed by a person on request).",
        source="case event 'decided' without an acting person",
    ),
    _E(
        name="automated_share",
        type="number",
        unit="fraction 0..1",
        definition="decided_automatically / decided.",
        source="computed",
    ),
    _E(
        name="contested",
        type="integer",
        unit="decisions",
        definition="Decisions contested to the higher body in the period (ZRU-445 Art. 22).",
        source="case event 'contested'",
    ),
    _E(
        name="contested_share",
        type="number",
        unit="fraction 0..1",
        definition="contested / decided in the same period (a decision is often contested a month after it was made).",
        source="computed",
    ),
    _E(
        name="reviewed",
        type="integer",
        unit="decisions",
        definition="Contested decisions of the body that the "
        "higher body decided on the merits (approved, partially approved or rejected the complaint).",
        source="review case's 'decided' event",
    ),
    _E(
        name="changed_on_review",
        type="integer",
        unit="decisions",
        definition="Of those, the complaints upheld (approved or partially approved): the decision was changed.",
        source="review case's outcome",
    ),
    _E(
        name="changed_on_review_share",
        type="number",
        unit="fraction 0..1",
        definition="changed_on_review / reviewed.",
        source="computed",
    ),
    _E(
        name="ratings",
        type="integer",
        unit="ratings",
        definition="Answers rated by their applicants (1-5) in the period.",
        source="case ratings",
    ),
    _E(
        name="average_rating",
        type="number",
        unit="1..5",
        definition="Mean score of those ratings.",
        source="case ratings",
    ),
    _E(
        name="small",
        type="boolean",
        unit="",
        definition="True when the group has fewer decisions than the "
        "small-number threshold (small_number_threshold): its shares are shown but it is never ranked.",
        source="computed",
    ),
)
