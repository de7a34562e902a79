from shaffof.errors import InvalidInput, NotFound


class UnknownFilter(InvalidInput):
    code = "unknown-filter"
    title = "Unknown statistics filter"


class PeriodInvalid(InvalidInput):
    code = "period-invalid"
    title = "The period cannot be reported"


class CountryNotFound(NotFound):
    code = "country-not-found"
    title = "No such country in the EGDI data"


class EgdiInputInvalid(InvalidInput):
    code = "egdi-input-invalid"
    title = "The indicator data cannot be used"
