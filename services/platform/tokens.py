"""Bearer secrets handed to outsiders (reporters' access tokens, connected systems' keys):
made at random, kept only as digests."""

from __future__ import annotations

import hashlib
import secrets


def new_access_token() -> str:
    """A fresh random token (256 bits): nothing about it can be worked out from an id."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> bytes:
    """What is stored instead of the token: SHA-256 suffices for a 256-bit random secret."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
