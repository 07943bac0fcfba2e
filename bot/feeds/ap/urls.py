"""The URLs AP is asked: JSON always, and a disk mirror of the API asked as the API is."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit, urlunsplit

from bot.feeds.http import is_local


def is_mirror(url: str) -> bool:
    """A ``file:`` URL with a query is the API mirrored to disk (a recording staged by ``python -m
    bot replay --via disk``): it is asked exactly as the API is, ``nextrequest`` included. A
    plain saved reply (a path, or a file URL without a query) is always a full reply."""
    parts = urlsplit(url)
    return parts.scheme.lower() == "file" and bool(parts.query)


def with_json_format(url: str) -> str:
    """AP answers XML unless asked for JSON; an explicit ``format`` in the URL is left alone."""
    if is_local(url) and not is_mirror(url):
        return url
    parts = urlsplit(url)
    if any(key.lower() == "format" for key, _ in parse_qsl(parts.query, keep_blank_values=True)):
        return url
    query = f"{parts.query}&format=json" if parts.query else "format=json"
    return urlunsplit(parts._replace(query=query))
