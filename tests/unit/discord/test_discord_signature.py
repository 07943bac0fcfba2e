"""Discord's Ed25519 request signature: only Discord's own requests, signed within the window,
are accepted; every other one is refused with a reason (Discord probes with bad ones)."""

from __future__ import annotations

import pytest

from handlers.discord_signature import MAX_SKEW, SIGNATURE, TIMESTAMP, BadPublicKey, refusal, verify_key
from tests.fakes.discord_signing import Signer, encode, ping

NOW = 1_733_086_800  # the mocked clock: 2024-12-01 21:00 UTC
BODY = encode(ping())


def environ(headers: dict[str, str]) -> dict[str, str]:
    return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer()


def test_a_request_signed_with_the_apps_key_is_accepted(signer: Signer) -> None:
    key = verify_key(signer.public_key)
    assert refusal(key, environ(signer.headers(BODY, NOW)), BODY, NOW) is None


@pytest.mark.parametrize("skew", [MAX_SKEW, -MAX_SKEW])
def test_the_window_is_five_minutes_either_way_at_its_boundary(signer: Signer, skew: int) -> None:
    key = verify_key(signer.public_key)
    assert MAX_SKEW == 300
    assert refusal(key, environ(signer.headers(BODY, NOW - skew)), BODY, NOW) is None
    beyond = NOW - skew - (1 if skew > 0 else -1)
    assert refusal(key, environ(signer.headers(BODY, beyond)), BODY, NOW) == "stale timestamp"


def test_a_tampered_body_is_refused(signer: Signer) -> None:
    key = verify_key(signer.public_key)
    headers = environ(signer.headers(BODY, NOW))
    assert refusal(key, headers, BODY.replace(b'"type":1', b'"type":2'), NOW) == "wrong signature"
    assert refusal(key, headers, BODY + b" ", NOW) == "wrong signature"


def test_a_request_signed_with_another_key_is_refused(signer: Signer) -> None:
    other = Signer()
    assert refusal(verify_key(signer.public_key), environ(other.headers(BODY, NOW)), BODY, NOW) == "wrong signature"


def test_the_timestamp_is_part_of_what_is_signed(signer: Signer) -> None:
    key = verify_key(signer.public_key)
    headers = environ(signer.headers(BODY, NOW))
    headers[TIMESTAMP] = str(NOW - 1)
    assert refusal(key, headers, BODY, NOW) == "wrong signature"


@pytest.mark.parametrize(
    "change, reason",
    [
        ({SIGNATURE: None}, "missing signature headers"),
        ({TIMESTAMP: None}, "missing signature headers"),
        ({SIGNATURE: ""}, "missing signature headers"),
        ({SIGNATURE: "zz" * 64}, "malformed signature"),
        ({SIGNATURE: "ab" * 63}, "malformed signature"),
        ({TIMESTAMP: "17e8"}, "malformed timestamp"),
        ({TIMESTAMP: "-1733086800"}, "malformed timestamp"),
        ({TIMESTAMP: "9" * 40}, "malformed timestamp"),
    ],
)
def test_missing_or_malformed_headers_are_refused(signer: Signer, change: dict[str, str | None], reason: str) -> None:
    headers: dict[str, str | None] = {**environ(signer.headers(BODY, NOW)), **change}
    present = {k: v for k, v in headers.items() if v is not None}
    assert refusal(verify_key(signer.public_key), present, BODY, NOW) == reason


@pytest.mark.parametrize("bad", ["", "abc", "zz" * 32, "ab" * 31])
def test_a_public_key_that_is_not_32_bytes_of_hex_is_a_config_error(bad: str) -> None:
    with pytest.raises(BadPublicKey, match="DISCORD_PUBLIC_KEY"):
        verify_key(bad)
