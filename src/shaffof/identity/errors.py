from shaffof.errors import Conflict, DomainError, InvalidInput, Unauthenticated


class InvalidCredentials(Unauthenticated):
    code = "invalid-credentials"
    title = "Wrong login or password"


class TooManyLoginAttempts(DomainError):
    status = 429
    code = "too-many-login-attempts"
    title = "Too many failed sign-in attempts"


class InvalidPersonData(InvalidInput):
    code = "invalid-person"
    title = "The person's data is invalid"


class AccountExists(Conflict):
    code = "account-exists"
    title = "This login is taken"
