"""Pydantic schemas of the provider's JSON API (administration, the person's security log, security keys)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from shaffof.oidc.models import Assurance, ClientKind, OidcClient


class SecurityKeyOptions(BaseModel):
    purpose: Literal["register", "authenticate"]


class SecurityKeyCredential(BaseModel):
    credential: dict[str, Any] = Field(description="the PublicKeyCredential, JSON-encoded as WebAuthn Level 3 toJSON()")
    label: str = Field(default="", max_length=100)
    next: str = Field(default="/", max_length=4000)


class ClientCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    agency: str = Field(min_length=1, max_length=32, description="agency code")
    kind: ClientKind
    redirect_uris: list[str] = Field(default_factory=list, max_length=20)
    post_logout_redirect_uris: list[str] = Field(default_factory=list, max_length=20)
    scopes: list[str] = Field(default_factory=list, max_length=20)
    required_acr: Assurance = Assurance.low
    rate_limit_per_minute: int = 600


class ClientPublic(BaseModel):
    client_id: str
    name: str
    kind: ClientKind
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    scopes: list[str]
    required_acr: Assurance
    rate_limit_per_minute: int

    @classmethod
    def of(cls, row: OidcClient) -> ClientPublic:
        return cls(
            client_id=row.client_id,
            name=row.name,
            kind=row.kind,
            redirect_uris=row.redirect_uris,
            post_logout_redirect_uris=row.post_logout_redirect_uris,
            scopes=row.scopes,
            required_acr=row.required_acr,
            rate_limit_per_minute=row.rate_limit_per_minute,
        )


class ClientWithSecret(ClientPublic):
    client_secret: str = Field(description="shown once; only its hash is stored")


class SecurityEventPublic(BaseModel):
    kind: str
    at: str
    client_ip: str | None
    user_agent: str | None
    detail: str | None
