"""The legal grounds of processing, as citations shown to the person (shared/legal.md)."""

from __future__ import annotations

from shaffof.legal import Citation

ZRU_445 = "https://lex.uz/docs/3336171"
ZRU_395 = "https://lex.uz/docs/2833855"

# ZRU-547 Art. 18: the grounds; each access record cites one.
ART_18 = Citation(
    law="ZRU-547",
    article="18",
    title="Grounds for processing personal data: consent, contract, legal obligation, vital interests",
    url=None,  # legal.md gives no official address for ZRU-547; none is invented
)
# An officer reading an applicant's case does so to consider it, as ZRU-445 Art. 28 obliges the body.
CASE_CONSIDERATION = Citation(
    law="ZRU-445",
    article="28",
    title="The body considers the application within the statutory term (legal obligation, ZRU-547 Art. 18)",
    url=ZRU_445,
)
# The once-only principle: the body fetches what the state already holds instead of asking the citizen.
ONCE_ONLY = Citation(
    law="ZRU-395",
    title="Interdepartmental electronic interaction; decree UP-113 (2022): data the state holds is not asked for",
    url=ZRU_395,
)
# Destruction when the purpose is achieved or consent withdrawn.
ART_17 = Citation(
    law="ZRU-547",
    article="17",
    title="Personal data is destroyed when the purpose is achieved or consent is withdrawn",
    url=None,  # legal.md gives no official address for ZRU-547; none is invented
)
AUDIT = Citation(
    law="ZRU-547",
    article="18",
    title="Audit of processing by the platform's auditor (legal obligation)",
    url=None,  # legal.md gives no official address for ZRU-547; none is invented
)
# Certificates name their holder (and PINFL); the registration centre administers them under ZRU-793.
CERTIFICATES = Citation(
    law="ZRU-793",
    title="Electronic digital signature: the registration centre issues, renews and revokes certificates",
)
