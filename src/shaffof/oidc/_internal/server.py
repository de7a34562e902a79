"""Authlib's generic authorization server, adapted to Starlette requests and to Shaffof's storage.

Authlib's grant classes do the protocol (RFC 6749 parameter checks, client authentication, the code and
client-credentials grants, RFC 7636 PKCE, OIDC Core nonce and prompt handling, RP-initiated logout); this
module supplies what Authlib leaves to the framework: a request object over an already-read body, responses,
and the storage methods, which call back into :class:`shaffof.oidc.provider.ProviderContext` (one database
transaction per request). docs/decisions/0005-oidc-library.md says why Authlib.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Payload, OAuth2Request, TokenMixin
from authlib.oauth2.rfc6749.errors import InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, ClientCredentialsGrant
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import AuthorizationCodeMixin
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.rpinitiated import EndSessionEndpoint
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response

from shaffof.oidc.models import AccessToken, AuthorizationCode, ClientKind, OidcClient

if TYPE_CHECKING:
    from shaffof.oidc.provider import ProviderContext

SECRET_METHODS = ["client_secret_basic", "client_secret_post"]
# Authlib logs issued tokens and codes at DEBUG ("Issue token %r to %r"): secrets never reach the logs.
logging.getLogger("authlib").setLevel(logging.INFO)


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._data: dict[str, str] = {}
        self._datalist: dict[str, list[str]] = {}
        for key, value in pairs:
            self._data.setdefault(key, value)
            self._datalist.setdefault(key, []).append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):  # type: ignore[misc]
    """An OAuth2 request over a Starlette request whose form body was read by the (async) view."""

    def __init__(
        self, method: str, url: str, headers: Headers, query: Sequence[tuple[str, str]], form: Sequence[tuple[str, str]]
    ) -> None:
        super().__init__(method=method, uri=url, headers=headers)
        self._args = dict(query)
        self._form = dict(form)
        self.payload = _Payload([*query, *form])

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class RegisteredClient(ClientMixin):  # type: ignore[misc]
    """Authlib's view of an ``oidc_clients`` row."""

    def __init__(self, row: OidcClient, context: ProviderContext) -> None:
        self.row = row
        self._context = context
        self.client_metadata = {"post_logout_redirect_uris": list(row.post_logout_redirect_uris)}

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # OIDC Core §3.1.2.1: redirect_uri is required in every authorization request

    def get_allowed_scope(self, scope: str | None) -> str:
        registered = list(self.row.scopes)
        if not scope:
            return " ".join(registered) if self.row.kind is ClientKind.service else ""
        return " ".join(s for s in dict.fromkeys(scope.split()) if s in registered)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris  # exact string match, RFC 9700 §4.1.3

    def check_client_secret(self, client_secret: str) -> bool:
        return self._context.client_secret_matches(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in SECRET_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return self.row.kind is ClientKind.web and response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        allowed = "authorization_code" if self.row.kind is ClientKind.web else "client_credentials"
        return grant_type == allowed


class IssuedCode(AuthorizationCodeMixin):  # type: ignore[misc]
    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return int(self.row.auth_time.timestamp())

    def get_acr(self) -> str:
        return self.row.acr.value

    def get_amr(self) -> list[str]:
        return list(self.row.amr)


class _RegisteredScopesOnly:
    """Refuse (``invalid_scope``) a scope the client was not registered for, instead of dropping it silently."""

    request: Any

    def validate_requested_scope(self) -> None:
        client: RegisteredClient = self.request.client
        requested = (self.request.payload.scope or "").split()
        unknown = [s for s in requested if s not in client.row.scopes]
        if unknown:
            raise InvalidScopeError(f"The client is not registered for the scope(s): {' '.join(unknown)}.")


class CodeGrant(_RegisteredScopesOnly, AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_METHODS

    @property
    def context(self) -> ProviderContext:
        context: ProviderContext = self.server.context
        return context

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        self.context.save_code(code, request)

    def query_authorization_code(self, code: str, client: RegisteredClient) -> IssuedCode | None:
        row = self.context.redeemable_code(code, client.row)
        return IssuedCode(row) if row is not None else None

    def delete_authorization_code(self, authorization_code: IssuedCode) -> None:
        self.context.spend_code(authorization_code.row)

    def authenticate_user(self, authorization_code: IssuedCode) -> Any:
        return self.context.user_of_code(authorization_code.row)


class ClientCredentials(_RegisteredScopesOnly, ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_METHODS


class S256Required(CodeChallenge):  # type: ignore[misc]
    """PKCE (RFC 7636) on every authorization request, with S256 only (RFC 9700 §2.1.1: no ``plain``)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 - Authlib's class attribute
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send 'code_challenge' with 'code_challenge_method=S256'.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only 'code_challenge_method=S256' is accepted.")
        super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code: IssuedCode) -> str:
        return authorization_code.row.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: IssuedCode) -> str:
        return authorization_code.row.code_challenge_method


class SignedIdToken(OpenIDCode):  # type: ignore[misc]
    """OIDC Core ID tokens, signed through the key store (never with a private key object in memory)."""

    def __init__(self, context: ProviderContext) -> None:
        super().__init__(require_nonce=True)
        self._context = context

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return self._context.nonce_seen(request.payload.client_id, nonce)

    def encode_id_token(self, token: dict[str, Any], request: OAuth2Request) -> str:
        return self._context.id_token(token, request.client.row, request.authorization_code.row)


class EndSession(EndSessionEndpoint):  # type: ignore[misc]
    def __init__(self, context: ProviderContext) -> None:
        super().__init__()
        self._context = context

    def get_server_jwks(self) -> dict[str, Any]:
        return {"keys": self._context.jwks()}

    def get_algorithms(self) -> list[str]:
        return ["ES256"]

    def end_session(self, end_session_request: Any) -> None:
        self._context.end_browser_session()


class IssuedToken(TokenMixin):  # type: ignore[misc]
    def __init__(self, row: AccessToken) -> None:
        self.row = row

    def check_client(self, client: RegisteredClient) -> bool:
        return self.row.client_id == client.get_client_id()


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    """RFC 7009: a client revokes an access token it was issued (e.g. when the person signs out there)."""

    CLIENT_AUTH_METHODS = SECRET_METHODS
    SUPPORTED_TOKEN_TYPES = ("access_token",)

    def __init__(self, context: ProviderContext) -> None:
        super().__init__()
        self._context = context

    def query_token(self, token_string: str, token_type_hint: str | None) -> IssuedToken | None:
        row = self._context.token_row(token_string)
        return IssuedToken(row) if row is not None else None

    def revoke_token(self, token: IssuedToken, request: OAuth2Request) -> None:
        self._context.revoke(token.row)


class Server(AuthorizationServer):  # type: ignore[misc]
    """One server per request, bound to that request's :class:`ProviderContext` (its transaction)."""

    def __init__(self, context: ProviderContext, scopes_supported: Sequence[str]) -> None:
        super().__init__(scopes_supported=list(scopes_supported))
        self.context = context
        self.register_token_generator("default", context.generate_token)
        self.register_grant(CodeGrant, [S256Required(required=True), SignedIdToken(context)])
        self.register_grant(ClientCredentials)
        self.register_endpoint(EndSession(context))
        self.register_endpoint(Revocation(context))

    def query_client(self, client_id: str) -> RegisteredClient | None:
        row = self.context.active_client(client_id)
        return RegisteredClient(row, self.context) if row is not None else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        self.context.save_token(token, request)

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def create_json_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None  # no signal bus: events that matter are written by ProviderContext

    def handle_response(
        self, status: int, body: Any, headers: Sequence[tuple[str, str]] | Mapping[str, str]
    ) -> Response:
        header_map = dict(headers)
        if isinstance(body, dict):
            header_map.pop("Content-Type", None)
            return JSONResponse(body, status_code=status, headers=header_map)
        return Response(body or b"", status_code=status, headers=header_map)
