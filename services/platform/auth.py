"""API keys: one per agency and one for the national admin. A request names its key in the
`X-API-Key` header (or `Authorization: Bearer`); the key resolves to a principal with a role."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from services.kernel.refusals import RefusalKind, Refused
from services.kernel.registry import NATIONAL_ADMIN, Registry
from services.platform.settings import PlatformSettings

DEMO_KEY_PREFIX = "demo-"

API_KEY_SCHEME = APIKeyHeader(
    name="X-API-Key",
    scheme_name="ApiKey",
    description="an agency's or the national admin's API key",
    # Only declares the scheme in the OpenAPI document: `authenticate` reads the key (also
    # from `Authorization: Bearer`) and answers the platform's own 401, not FastAPI's.
    auto_error=False,
)
DeclaredKey = Annotated[str | None, Security(API_KEY_SCHEME)]
"""The `X-API-Key` parameter of the auth dependencies (declared, read by `authenticate`)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the national admin, or one agency (identified by its code)."""

    role: Literal["national_admin", "agency"]
    id: str

    @property
    def is_admin(self) -> bool:
        """True for the national admin."""
        return self.role == "national_admin"


def demo_key(principal: str) -> str:
    """The published demo key of a principal (accepted only when demo keys are on)."""
    return f"{DEMO_KEY_PREFIX}{principal}"


class KeyRing:
    """Looks a presented key up among the configured (and, in development, demo) keys."""

    def __init__(self, settings: PlatformSettings, registry: Registry) -> None:
        keys = {name: secret.get_secret_value() for name, secret in settings.api_keys.items()}
        if settings.demo_keys:
            for name in [NATIONAL_ADMIN, *(a.code for a in registry if a.kind != "work_unit")]:
                keys.setdefault(name, demo_key(name))
        unknown = [n for n in keys if n != NATIONAL_ADMIN and registry.get(n) is None]
        if unknown:
            raise ValueError(f"API keys for unknown agencies: {', '.join(sorted(unknown))}")
        # Keyed by digest: the lookup's timing says nothing about the keys.
        self._by_digest = {_digest(key): name for name, key in keys.items()}
        self._signing = {name: key.encode() for name, key in keys.items()}

    def principal(self, presented: str | None) -> Principal | None:
        """The principal a key belongs to, or None."""
        if not presented:
            return None
        digest = _digest(presented)
        for known, name in self._by_digest.items():
            if hmac.compare_digest(known, digest):
                role = "national_admin" if name == NATIONAL_ADMIN else "agency"
                return Principal(role, name)
        return None

    def signature_valid(self, principal: str, body: bytes, signature: str | None) -> bool:
        """Whether `signature` is hex HMAC-SHA256 of `body` under the principal's API key: how
        a message on a shared topic proves which agency sent it, without carrying the key."""
        key = self._signing.get(principal)
        if key is None or not signature:
            return False
        return hmac.compare_digest(sign(key, body), signature.strip().lower())


def sign(key: bytes | str, body: bytes) -> str:
    """The signature an agency puts in the `lapor_signature` header of a reply."""
    raw = key.encode() if isinstance(key, str) else key
    return hmac.new(raw, body, hashlib.sha256).hexdigest()


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def presented_key(request: Request) -> str | None:
    """The key from `X-API-Key`, or from `Authorization: Bearer <key>`."""
    key = request.headers.get("x-api-key")
    if key:
        return key
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else None


def authenticate(keyring: KeyRing, request: Request) -> Principal:
    """The caller, or a 401 refusal."""
    principal = keyring.principal(presented_key(request))
    if principal is None:
        raise Refused(
            "unauthenticated",
            "a valid API key is required (X-API-Key)",
            kind=RefusalKind.UNAUTHENTICATED,
        )
    return principal


def require_admin(principal: Principal) -> None:
    """Refuse (403) anyone but the national admin."""
    if not principal.is_admin:
        raise Refused(
            "forbidden", "only the national admin may do this", kind=RefusalKind.FORBIDDEN
        )


def caller_of(keyring: KeyRing) -> Any:
    """The FastAPI parameter type of an authenticated caller: `principal: Caller` (401 without
    a valid key)."""

    def caller(request: Request, _: DeclaredKey) -> Principal:
        return authenticate(keyring, request)

    return Annotated[Principal, Depends(caller)]


def admin_of(keyring: KeyRing) -> Any:
    """The FastAPI dependency that lets only the national admin through (401, then 403)."""

    def admin(request: Request, _: DeclaredKey) -> Principal:
        principal = authenticate(keyring, request)
        require_admin(principal)
        return principal

    return Depends(admin)
