"""API keys: the national admin's, one per agency (its coordinator), per work unit (its
liaison), per channel, per oversight body and per auditor. A request names its key in the
`X-API-Key` header (or `Authorization: Bearer`); the key resolves to a principal with a role.
README "Roles" lists what each role may do."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from services.kernel.refusals import RefusalKind, Refused
from services.kernel.registry import NATIONAL_ADMIN, Registry
from services.platform.logs import note
from services.platform.settings import (
    DEMO_AUDITORS,
    DEMO_CHANNELS,
    DEMO_OVERSIGHT,
    PlatformSettings,
)

DEMO_KEY_PREFIX = "demo-"

API_KEY_SCHEME = APIKeyHeader(
    name="X-API-Key",
    scheme_name="ApiKey",
    description="the API key of an agency, a work unit, the national admin, a channel, an "
    "oversight body or an auditor",
    # Only declares the scheme in the OpenAPI document: `authenticate` reads the key (also
    # from `Authorization: Bearer`) and answers the platform's own 401, not FastAPI's.
    auto_error=False,
)
DeclaredKey = Annotated[str | None, Security(API_KEY_SCHEME)]
"""The `X-API-Key` parameter of the auth dependencies (declared, read by `authenticate`)."""


Role = Literal["national_admin", "agency", "unit", "channel", "oversight", "auditor"]

NAMED_ROLES: tuple[Role, ...] = ("channel", "auditor", "unit", "oversight")
"""The roles whose demo key names the role: `demo-<role>-<name>`."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the national admin, one agency or work unit (by its code), one intake
    channel, oversight body or auditor (by name)."""

    role: Role
    id: str

    @property
    def is_admin(self) -> bool:
        """True for the national admin."""
        return self.role == "national_admin"


def demo_key(principal: str, role: Role | None = None) -> str:
    """The published demo key of a principal (accepted only when demo keys are on):
    `demo-<agency code>`, `demo-national-admin`, `demo-<role>-<name>` for the others (e.g.
    `demo-unit-kota-bandung.dinas-pupr`, `demo-oversight-ksp`, `demo-auditor-bpk`)."""
    if role in NAMED_ROLES:
        return f"{DEMO_KEY_PREFIX}{role}-{principal}"
    return f"{DEMO_KEY_PREFIX}{principal}"


class KeyRing:
    """Looks a presented key up among the configured (and, in development, demo) keys."""

    def __init__(self, settings: PlatformSettings, registry: Registry) -> None:
        keys: dict[tuple[Role, str], str] = {}
        for name, secret in settings.api_keys.items():
            role: Role = "national_admin" if name == NATIONAL_ADMIN else "agency"
            keys[role, name] = secret.get_secret_value()
        for name, secret in settings.channel_keys.items():
            keys["channel", name] = secret.get_secret_value()
        for name, secret in settings.auditor_keys.items():
            keys["auditor", name] = secret.get_secret_value()
        for name, secret in settings.unit_keys.items():
            keys["unit", name] = secret.get_secret_value()
        for name, secret in settings.oversight_keys.items():
            keys["oversight", name] = secret.get_secret_value()
        if settings.demo_keys:
            keys.setdefault(("national_admin", NATIONAL_ADMIN), demo_key(NATIONAL_ADMIN))
            for code in (a.code for a in registry if a.kind != "work_unit"):
                keys.setdefault(("agency", code), demo_key(code))
            for name in DEMO_CHANNELS:
                keys.setdefault(("channel", name), demo_key(name, "channel"))
            for name in DEMO_AUDITORS:
                keys.setdefault(("auditor", name), demo_key(name, "auditor"))
            for code in (a.code for a in registry if a.kind == "work_unit"):
                keys.setdefault(("unit", code), demo_key(code, "unit"))
            for name in DEMO_OVERSIGHT:
                keys.setdefault(("oversight", name), demo_key(name, "oversight"))
        unknown = [n for r, n in keys if r == "agency" and registry.get(n) is None]
        if unknown:
            raise ValueError(f"API keys for unknown agencies: {', '.join(sorted(unknown))}")
        units = {a.code for a in registry if a.kind == "work_unit"}
        not_units = sorted(n for r, n in keys if r == "unit" and n not in units)
        if not_units:
            raise ValueError(f"unit keys for what is not a work unit: {', '.join(not_units)}")
        if len(set(keys.values())) != len(keys):
            raise ValueError("two principals share one API key: give each its own")
        # Keyed by digest: the lookup's timing says nothing about the keys.
        self._by_digest = {_digest(key): Principal(*who) for who, key in keys.items()}
        self._signing = {who: key.encode() for who, key in keys.items()}

    def principal(self, presented: str | None) -> Principal | None:
        """The principal a key belongs to, or None."""
        if not presented:
            return None
        digest = _digest(presented)
        found = None
        for known, principal in self._by_digest.items():
            if hmac.compare_digest(known, digest):
                found = principal
        return found

    def signature_valid(
        self, principal: str, body: bytes, signature: str | None, role: Role = "agency"
    ) -> bool:
        """Whether `signature` is hex HMAC-SHA256 of `body` under the principal's API key: how
        a message on a shared topic proves which agency (or channel) sent it, without carrying
        the key."""
        if role == "agency" and principal == NATIONAL_ADMIN:
            role = "national_admin"
        key = self._signing.get((role, principal))
        if key is None or not signature:
            return False
        return hmac.compare_digest(sign(key, body), signature.strip().lower())


SIGNATURE_HEADER = "lapor_signature"
"""The Kafka header that carries a message's signature (hex HMAC-SHA256 of the value)."""


def signature_in(headers: Any) -> str | None:
    """The signature among a Kafka message's headers (pairs of name and bytes), if any."""
    return next(
        (v.decode(errors="replace") for k, v in headers or () if k == SIGNATURE_HEADER), None
    )


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
    note(role=principal.role)
    return principal


def require_role(principal: Principal, *roles: Role) -> None:
    """Refuse (403) a caller whose role is not one of `roles`."""
    if principal.role not in roles:
        raise Refused(
            "forbidden",
            f"only {' or '.join(r.replace('_', ' ') for r in roles)} callers may do this",
            kind=RefusalKind.FORBIDDEN,
        )


def require_admin(principal: Principal) -> None:
    """Refuse (403) anyone but the national admin."""
    if not principal.is_admin:
        raise Refused(
            "forbidden", "only the national admin may do this", kind=RefusalKind.FORBIDDEN
        )


AGENCY_SIDE: tuple[Role, ...] = ("national_admin", "agency")
"""The roles of the agency-facing paths (channels and auditors have their own)."""
CASE_WORKERS: tuple[Role, ...] = ("national_admin", "agency", "unit")
"""Who reads case files and queues: the national admin, agencies, and work units (only what
was forwarded to them)."""
NATIONAL_READERS: tuple[Role, ...] = ("national_admin", "oversight", "auditor")
"""Who reads every complaint's row and timeline (never a reporter's contact)."""


def keyring_of(request: Request) -> KeyRing:
    """The key ring of the app serving the request (`app.state.keyring`, set when a service's
    routes are mounted)."""
    keyring: KeyRing = request.app.state.keyring
    return keyring


def requiring(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """The FastAPI dependency of an authenticated caller in one of `roles` (401 without a
    valid key, 403 for another role); each service's `deps.py` names it as an alias."""

    async def caller(request: Request, _: DeclaredKey) -> Principal:
        principal = authenticate(keyring_of(request), request)
        require_role(principal, *roles)
        return principal

    return caller


async def national_admin(request: Request, _: DeclaredKey) -> Principal:
    """The FastAPI dependency that lets only the national admin through (401, then 403)."""
    principal = authenticate(keyring_of(request), request)
    require_admin(principal)
    return principal


Admin = Annotated[Principal, Depends(national_admin)]
"""A route parameter (or, through `ADMIN_ONLY`, a router's dependency): the national admin."""
ADMIN_ONLY = [Depends(national_admin)]
"""The dependencies of a router every route of which is the national admin's."""
Auditor = Annotated[Principal, Depends(requiring("national_admin", "auditor"))]
"""A route parameter: an auditor or the national admin (the log, the past, contact reads)."""
