"""The reporter-facing tracking id of a complaint, derived from its id: shared by every way a
complaint enters (channels and connected systems), so it lives in the kernel."""

from __future__ import annotations

import hashlib
from uuid import UUID

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def tracking_id_for(complaint_id: UUID) -> str:
    """A short, unambiguous, human-friendly id (60 bits, Crockford base32): lpr-xxxx-xxxx-xxxx."""
    number = int.from_bytes(hashlib.sha256(complaint_id.bytes).digest()[:8], "big") >> 4
    chars = "".join(_CROCKFORD[(number >> (5 * i)) & 31] for i in reversed(range(12)))
    return f"lpr-{chars[:4]}-{chars[4:8]}-{chars[8:]}"
