"""Errors of the OpenID Connect provider's domain operations (protocol errors are Authlib's ``OAuth2Error``)."""

from __future__ import annotations

from shaffof.errors import Conflict, DomainError, InvalidInput, NotFound, Unauthenticated


class InvalidClientRegistration(InvalidInput):
    code = "invalid-client-registration"
    title = "The client registration is invalid"


class ClientNotFound(NotFound):
    code = "client-not-found"
    title = "No such client"


class ClientExists(Conflict):
    code = "client-exists"
    title = "A client with this identifier exists"


class SecondFactorRejected(Unauthenticated):
    code = "second-factor-rejected"
    title = "The second factor was not accepted"


class SignatureProofRejected(Unauthenticated):
    code = "signature-proof-rejected"
    title = "The signed challenge was not accepted"


class RateLimited(DomainError):
    status = 429
    code = "rate-limited"
    title = "Too many requests from this client"
