from shaffof.errors import InvalidInput, NotFound


class ServiceNotFound(NotFound):
    code = "service-not-found"
    title = "No such service"


class AgencyNotFound(NotFound):
    code = "agency-not-found"
    title = "No such agency"


class CatalogueInvalid(InvalidInput):
    code = "catalogue-invalid"
    title = "The service packages have errors"
