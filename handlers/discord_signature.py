"""Discord's request signature: Ed25519 over ``X-Signature-Timestamp`` + the raw body, checked
with the application's public key (``DISCORD_PUBLIC_KEY``, hex).

Discord sends deliberately bad signatures as routine checks and removes an endpoint that accepts
one (https://discord.com/developers/docs/interactions/receiving-and-responding#security-and-authorization),
so every failure is a refusal, with its reason for the log (never the key or the body).
A timestamp further than ``MAX_SKEW`` from our clock is refused too: a recorded request
replayed later verifies, and Discord's own signature carries no expiry.
"""

from __future__ import annotations

from collections.abc import Mapping

from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import VerifyKey

#: Seconds a signed request stays acceptable, either way (clocks drift; Discord retries nothing).
MAX_SKEW = 300
SIGNATURE = "HTTP_X_SIGNATURE_ED25519"
TIMESTAMP = "HTTP_X_SIGNATURE_TIMESTAMP"


class BadPublicKey(ValueError):
    """``DISCORD_PUBLIC_KEY`` is not 32 bytes of hex."""


def verify_key(public_key_hex: str) -> VerifyKey:
    try:
        return VerifyKey(bytes.fromhex(public_key_hex.strip()))
    except (ValueError, TypeError, CryptoError) as exc:
        raise BadPublicKey(
            "DISCORD_PUBLIC_KEY is not an Ed25519 public key in hex (64 characters, from the "
            "Developer Portal's General Information)"
        ) from exc


def refusal(key: VerifyKey, environ: Mapping[str, object], body: bytes, now: float) -> str | None:
    """Why the request is not Discord's (None: it is)."""
    signature = str(environ.get(SIGNATURE) or "")
    timestamp = str(environ.get(TIMESTAMP) or "")
    if not signature or not timestamp:
        return "missing signature headers"
    if not timestamp.isdigit() or len(timestamp) > 12:
        return "malformed timestamp"
    if abs(now - int(timestamp)) > MAX_SKEW:
        return "stale timestamp"
    try:
        raw = bytes.fromhex(signature)
    except ValueError:
        return "malformed signature"
    if len(raw) != 64:
        return "malformed signature"
    try:
        key.verify(timestamp.encode() + body, raw)
    except BadSignatureError:
        return "wrong signature"
    return None
