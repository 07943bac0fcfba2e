"""Build slash-command requests signed exactly the way Slack signs them.

Why: Bolt rejects anything whose ``X-Slack-Signature`` does not match, so tests of the ``/results``
command must produce byte-identical bodies and valid HMACs, or they would only ever test the 401 path.
Reference: https://api.slack.com/authentication/verifying-requests-from-slack
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

import requests

# A loopback port nothing listens on: an accidental respond() without an explicit response_url
# fails fast and locally instead of trying to reach hooks.slack.com.
DEFAULT_RESPONSE_URL = "http://127.0.0.1:9/response/unused"
DEFAULT_TRIGGER_ID = "13345224609.738474920.8088930838d88f008e0"


def compute_signature(body: str, secret: str, timestamp: int) -> str:
    """``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}`` keyed with the signing secret."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack sends with a slash command; ``timestamp`` defaults to now (pass an old one to test replay checks)."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": compute_signature(body, secret, ts),
        "Content-Type": "application/x-www-form-urlencoded",
    }


def slash_body(
    text: str,
    command: str = "/results",
    user_id: str = "U123",
    channel_id: str = "C123",
    team_id: str = "T0TEST",
    response_url: str = DEFAULT_RESPONSE_URL,
    trigger_id: str = DEFAULT_TRIGGER_ID,
    *,
    user_name: str = "tester",
    channel_name: str = "election-night",
    team_domain: str = "fake-election-desk",
    api_app_id: str = "A0APP",
    token: str = "fake-verification-token",
) -> str:
    """The urlencoded form body of a slash command, fields in the order Slack sends them.

    Point ``response_url`` at ``FakeSlack.response_url()`` to capture Bolt ``respond()`` calls.
    """
    fields = [
        ("token", token),
        ("team_id", team_id),
        ("team_domain", team_domain),
        ("channel_id", channel_id),
        ("channel_name", channel_name),
        ("user_id", user_id),
        ("user_name", user_name),
        ("command", command),
        ("text", text),
        ("api_app_id", api_app_id),
        ("is_enterprise_install", "false"),
        ("response_url", response_url),
        ("trigger_id", trigger_id),
    ]
    return urlencode(fields)


def post_signed(
    url: str, body: str, secret: str, timestamp: int | None = None, *, timeout: float = 5.0
) -> requests.Response:
    """POST ``body`` with valid Slack signature headers (the body is sent as exactly the signed bytes)."""
    return requests.post(url, data=body.encode(), headers=signed_headers(body, secret, timestamp), timeout=timeout)
