"""``GET /charts/<signed, expiring id>.png``: a picture for Slack's image block, from the web process.

Why signed: the URL goes into a Slack message, and Slack's servers fetch it without any
credential, so the URL itself is the permission. The id names one picture (feed, race, kind and
the snapshot version the answer was drawn from) and when it stops working; an HMAC-SHA256 of
that with ``LINK_SIGNING_KEY`` (never logged, never in the URL) makes any other id worthless.
Checked in constant time. A bad or tampered id answers 403, an expired one or one whose race is
no longer in the store 404: nothing says which part was wrong.

The id is ``<payload>.<signature>``, both base64url without padding; the payload is compact JSON
(``f`` feed, ``r`` race key, ``k`` kind, ``v`` snapshot version, ``e`` expiry in Unix seconds).
The picture served is the race's latest (cached by snapshot version, bot/app/pictures.py): Slack
fetches an image block's URL within seconds of the answer, and a later picture is never wrong.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.app.slack_app import WSGIApp
from bot.core.picture_orders import PICTURE_KINDS
from bot.render.picture import Picture

log = logging.getLogger("electionbot.charts")

PREFIX = "/charts/"
#: how long a signed link works: long enough for Slack to fetch it and a desk to click it.
LINK_TTL = 3600
#: a longer id is refused before any decoding (a feed name and a race key are short).
MAX_ID = 600


@dataclass(frozen=True, slots=True)
class ChartRef:
    """What a signed id names."""

    feed: str
    race_key: str
    kind: str
    version: int
    expires: int


class LinkRefused(Exception):
    """A signed id that is not to be served; ``status`` is the HTTP answer (403 or 404)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def sign(key: str, ref: ChartRef) -> str:
    """The id for ``ref`` (without ``/charts/`` and ``.png``)."""
    payload = json.dumps(
        {"f": ref.feed, "r": ref.race_key, "k": ref.kind, "v": ref.version, "e": ref.expires},
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    body = _b64(payload)
    return f"{body}.{_b64(_mac(key, body))}"


def chart_url(
    public_url: str, key: str, feed: str, race_key: str, kind: str, version: int, now: float, ttl: int = LINK_TTL
) -> str:
    """``{PUBLIC_URL}/charts/<id>.png``, valid for ``ttl`` seconds from ``now``."""
    ref = ChartRef(feed, race_key, kind, version, int(now) + ttl)
    return f"{public_url.rstrip('/')}{PREFIX}{sign(key, ref)}.png"


def verify(key: str, token: str, now: float) -> ChartRef:
    """The ref a signed id names, or ``LinkRefused`` (403 tampered or malformed, 404 expired)."""
    if len(token) > MAX_ID or token.count(".") != 1:
        raise LinkRefused(403, "malformed id")
    body, signature = token.split(".")
    try:
        given = _unb64(signature)
        payload = json.loads(_unb64(body))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise LinkRefused(403, "malformed id") from None
    if not hmac.compare_digest(given, _mac(key, body)):
        raise LinkRefused(403, "bad signature")
    try:
        ref = ChartRef(str(payload["f"]), str(payload["r"]), str(payload["k"]), int(payload["v"]), int(payload["e"]))
    except (KeyError, TypeError, ValueError):
        raise LinkRefused(403, "malformed id") from None
    if ref.kind not in PICTURE_KINDS:
        raise LinkRefused(403, "unknown picture")
    if now >= ref.expires:
        raise LinkRefused(404, "expired")
    return ref


def chart_app(
    key: str, picture: Callable[[str, str, str], Picture | None], *, clock: Callable[[], float] = time.time
) -> WSGIApp:
    """The WSGI app for ``routes={"/charts/": ...}`` (``bot.app.slack_app.wsgi_app``).
    ``picture(feed, race_key, kind)`` draws (or finds in the cache) the race's latest picture."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return _plain(start_response, "405 Method Not Allowed", "GET only\n", [("Allow", "GET, HEAD")])
        path = str(environ.get("PATH_INFO") or "")
        name = path.removeprefix(PREFIX)
        if not path.startswith(PREFIX) or not name.endswith(".png"):
            return _plain(start_response, "404 Not Found", "not found\n")
        now = clock()
        try:
            ref = verify(key, name.removesuffix(".png"), now)
        except LinkRefused as refused:
            log.info("GET /charts: refused (%s)", refused)  # the id is not logged: it is a credential
            status = "403 Forbidden" if refused.status == 403 else "404 Not Found"
            return _plain(start_response, status, status[4:].lower() + "\n")
        try:
            drawn = picture(ref.feed, ref.race_key, ref.kind)
        except Exception:
            log.exception("GET /charts: could not draw %s %s of %s", ref.feed, ref.kind, ref.race_key)
            return _plain(start_response, "500 Internal Server Error", "could not draw the picture\n")
        if drawn is None:
            return _plain(start_response, "404 Not Found", "not found\n")
        start_response(
            "200 OK",
            [
                ("Content-Type", "image/png"),
                ("Content-Length", str(len(drawn.png))),
                ("Cache-Control", f"private, max-age={max(0, ref.expires - int(now))}"),
                ("Content-Disposition", f'inline; filename="{drawn.filename}"'),
            ],
        )
        return [] if method == "HEAD" else [drawn.png]

    return application


def _plain(
    start_response: Callable[..., Any], status: str, text: str, extra: list[tuple[str, str]] | None = None
) -> Iterable[bytes]:
    body = text.encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))), *(extra or [])]
    )
    return [body]


def _mac(key: str, body: str) -> bytes:
    return hmac.new(key.encode(), b"electionbot-chart:" + body.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text or not all(c.isalnum() or c in "-_" for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
