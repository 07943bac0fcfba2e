"""Recordings: every response the feeds gave during a session, kept so the night can be replayed.

A newsroom rehearses with what a feed really sent (AP's deltas, Clarity's version files, an
outage's 503), not with what we think it sends. ``python -m bot record`` runs the configured
feeds on their normal schedule with delivery switched off and archives each response here;
``python -m bot replay`` (bot/rehearsal/replay_server.py) plays the archive back through the real pipeline.

A recording is a directory::

    manifest.jsonl   line 1: {"format": "electionbot-recording/1", "started_at": …, "feeds": [...]}
                     then one line per response, in the order they were fetched
    bodies/          one file per response body (a body identical to the URL's previous one is
                     not written twice: its line names the earlier file)

Each response line says when (``at``, UTC, and ``offset``, seconds since the start), which feed
and which of its polls, the URL (API keys redacted), the status, the content type, the
validators (ETag, Last-Modified), the size and SHA-256 of the body, and its file. Secrets are
never written: keys travel in headers, which are not kept, and any key in a query string or in a
feed option is redacted before it reaches the disk.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from bot.codec.errors import redact_url
from bot.feeds.http import Fetched
from bot.feeds.source import FeedSpec

log = logging.getLogger("electionbot.recording")

FORMAT = "electionbot-recording/1"
MANIFEST = "manifest.jsonl"
BODIES = "bodies"

#: Option names whose values may be secrets (``api_key_env`` names a variable, so it is kept).
_SECRET_OPTION = re.compile(r"(?i)(key|token|secret|password)(?!_env$)")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_EXTENSIONS = {
    "application/json": ".json",
    "text/csv": ".csv",
    "application/zip": ".zip",
    "text/plain": ".txt",
    "application/xml": ".xml",
    "text/xml": ".xml",
}


class RecordingError(Exception):
    """A recording cannot be read or written; the message names the file (and line) and why."""


def redacted(spec: FeedSpec) -> FeedSpec:
    """A feed as a recording keeps it: key-like query parameters and options masked."""
    options = {k: ("REDACTED" if _SECRET_OPTION.search(k) else _redact_urls(v)) for k, v in spec.options.items()}
    return FeedSpec(spec.name, spec.kind, redact_url(spec.url), spec.interval_seconds, options)


def _redact_urls(value: Any) -> Any:
    """URLs inside options (AP's ``trendtables`` reports) lose their keys as the feed URL does."""
    if isinstance(value, str):
        return redact_url(value)
    if isinstance(value, list | tuple):
        return [_redact_urls(v) for v in value]
    return value


def _spec_dict(spec: FeedSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "kind": spec.kind,
        "url": spec.url,
        "interval_seconds": spec.interval_seconds,
        "options": dict(spec.options),
    }


@dataclass(frozen=True, slots=True)
class Response:
    """One response a feed was given. ``path`` is the body's file (``None`` for an HTTP error,
    whose body is not kept); ``poll`` numbers the feed's polls from 1."""

    seq: int
    feed: str
    poll: int
    offset: float
    url: str
    status: int
    path: Path | None
    content_type: str = ""
    at: datetime | None = None
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None

    def body(self) -> bytes:
        if self.path is None:
            return b""
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise RecordingError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        if self.sha256 is not None and hashlib.sha256(data).hexdigest() != self.sha256:
            raise RecordingError(f"{self.path} has changed since it was recorded (its SHA-256 does not match the manifest)")
        return data


@dataclass(frozen=True, slots=True)
class Poll:
    """The responses of one poll of one feed: what a replay publishes before asking the feed."""

    feed: str
    number: int
    offset: float
    responses: tuple[Response, ...]


@dataclass(frozen=True, slots=True)
class Recording:
    source: str
    feeds: tuple[FeedSpec, ...]
    responses: tuple[Response, ...]
    started_at: datetime | None = None
    #: bodies saved by hand rather than recorded: each is a whole document (see
    #: :func:`recording_from_files`), so AP's cursor URLs were never asked and are not followed.
    saved_files: bool = False

    def polls(self) -> list[Poll]:
        """Every poll, in the order its first response was fetched."""
        groups: dict[tuple[str, int], list[Response]] = {}
        for response in sorted(self.responses, key=lambda r: r.seq):
            groups.setdefault((response.feed, response.poll), []).append(response)
        return [Poll(feed, number, rs[0].offset, tuple(rs)) for (feed, number), rs in groups.items()]


# -- reading ------------------------------------------------------------------------------------


def read_recording(directory: str | Path) -> Recording:
    """A recording directory → :class:`Recording`, or one :class:`RecordingError` saying what is
    wrong and where (a missing manifest, a corrupt line, a body that is not there)."""
    root = Path(directory)
    manifest = root / MANIFEST
    if not root.is_dir():
        raise RecordingError(f"no recording at {root}: not a directory")
    if not manifest.is_file():
        raise RecordingError(f"no recording at {root}: {MANIFEST} not found (record one with `python -m bot record`)")
    try:
        lines = manifest.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordingError(f"cannot read {manifest}: {exc}") from None
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        raise RecordingError(f"{manifest} is empty")
    header_line, header_text = numbered[0]
    header = _json_line(manifest, header_line, header_text)
    if header.get("format") != FORMAT:
        raise RecordingError(
            f"{manifest}: line {header_line}: not an {FORMAT} manifest (format {str(header.get('format'))[:40]!r})"
        )
    feeds = _feeds(manifest, header_line, header.get("feeds"))
    names = {f.name for f in feeds}
    responses = []
    last_seq = 0
    for n, text in numbered[1:]:
        response = _response(root, manifest, n, _json_line(manifest, n, text), names)
        if response.seq <= last_seq:
            raise RecordingError(f"{manifest}: line {n}: seq {response.seq} is out of order")
        last_seq = response.seq
        responses.append(response)
    if not responses:
        raise RecordingError(f"{manifest} records no responses (the feeds were never polled?)")
    return Recording(str(root), feeds, tuple(responses), _moment(header.get("started_at")))


def _json_line(manifest: Path, n: int, text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordingError(f"{manifest}: line {n} is not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(doc, dict):
        raise RecordingError(f"{manifest}: line {n} is not a JSON object")
    return doc


def _feeds(manifest: Path, n: int, raw: Any) -> tuple[FeedSpec, ...]:
    if not isinstance(raw, list) or not raw:
        raise RecordingError(f"{manifest}: line {n}: the header lists no feeds")
    feeds = []
    for entry in raw:
        try:
            name, kind, url = entry["name"], entry["kind"], entry["url"]
            interval = float(entry.get("interval_seconds", 30.0))
            options = entry.get("options") or {}
            if not all(isinstance(v, str) and v for v in (name, kind, url)) or not isinstance(options, dict):
                raise TypeError
        except (KeyError, TypeError, ValueError):
            raise RecordingError(
                f"{manifest}: line {n}: a feed entry needs name, kind and url (got {str(entry)[:80]})"
            ) from None
        feeds.append(FeedSpec(name, kind, url, interval, options))
    if len({f.name for f in feeds}) != len(feeds):
        raise RecordingError(f"{manifest}: line {n}: feed names repeat")
    return tuple(feeds)


def _response(root: Path, manifest: Path, n: int, doc: dict[str, Any], feeds: set[str]) -> Response:
    def need(key: str, kind: type | tuple[type, ...]) -> Any:
        value = doc.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise RecordingError(f"{manifest}: line {n}: {key!r} is missing or not {getattr(kind, '__name__', 'valid')}")
        return value

    seq, poll, status = need("seq", int), need("poll", int), need("status", int)
    offset, url, feed = float(need("offset", (int, float))), need("url", str), need("feed", str)
    if feed not in feeds:
        raise RecordingError(f"{manifest}: line {n}: feed {feed!r} is not in the header")
    path = None
    name = doc.get("file")
    if name is not None:
        if not isinstance(name, str) or Path(name).is_absolute() or ".." in Path(name).parts:
            raise RecordingError(f"{manifest}: line {n}: file {str(name)[:60]!r} is not a path inside the recording")
        path = root / name
        if not path.is_file():
            raise RecordingError(f"{manifest}: line {n}: body file {name} is missing")
    elif status < 400:
        raise RecordingError(f"{manifest}: line {n}: a {status} response without a body file")
    return Response(
        seq,
        feed,
        poll,
        offset,
        url,
        status,
        path,
        content_type=str(doc.get("content_type") or ""),
        at=_moment(doc.get("at")),
        etag=doc.get("etag") if isinstance(doc.get("etag"), str) else None,
        last_modified=doc.get("last_modified") if isinstance(doc.get("last_modified"), str) else None,
        sha256=doc.get("sha256") if isinstance(doc.get("sha256"), str) else None,
    )


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


# -- a recording made of plain files ------------------------------------------------------------


def recording_from_files(files: Sequence[str | Path], feed: FeedSpec, spacing: float) -> Recording:
    """Saved bodies (snapshots, AP replies, CSV exports) as one feed's successive polls,
    ``spacing`` seconds apart: how the demo plays its scenario and how a newsroom replays files
    it saved by hand."""
    responses = []
    for i, name in enumerate(files, start=1):
        path = Path(name)
        if not path.is_file():
            raise RecordingError(f"no such file: {path}")
        responses.append(Response(i, feed.name, i, (i - 1) * spacing, feed.url, 200, path, _content_type(path.name)))
    if not responses:
        raise RecordingError("no files to replay")
    source = ", ".join(str(f) for f in files[:3]) + (f" … ({len(files)} files)" if len(files) > 3 else "")
    return Recording(source, (feed,), tuple(responses), saved_files=True)


def open_inputs(
    paths: Sequence[str | Path], configured: Sequence[FeedSpec] = (), feeds: Sequence[str] = (), spacing: float = 0.8
) -> Recording:
    """What ``python -m bot replay`` was given → a recording: one recording directory (``feeds``
    keeps some of its feeds), or saved files played as one feed, which is the config's feed when
    ``configured`` holds exactly one (after ``feeds``), else a kind told from the first file."""
    given = [Path(p) for p in paths]
    if not given:
        raise RecordingError("nothing to replay: give a recording directory or files")
    if any(p.is_dir() for p in given):
        if len(given) > 1:
            raise RecordingError("give one recording directory, or a list of files, not both")
        return _only_feeds(read_recording(given[0]), feeds)
    missing = [str(p) for p in given if not p.is_file()]
    if missing:
        raise RecordingError(f"no such file or directory: {', '.join(missing[:3])}")
    specs = [s for s in configured if not feeds or s.name in feeds]
    if len(specs) > 1:
        raise RecordingError(f"the config has {len(specs)} feeds; name the one these files belong to with --feed")
    spec = specs[0] if specs else None
    ends = _Ends.of(given[0]) if spec is None or spec.kind == "ap" else _Ends(b"", b"", whole=True, path=given[0])
    kind = spec.kind if spec is not None else ends.sniff()
    if kind == "clarity":
        raise RecordingError(
            "a Clarity site is several files per version: replay a recording directory made by `python -m bot record`"
        )
    options = dict(spec.options) if spec is not None else {}
    if kind == "csv" and not options.get("state"):
        raise RecordingError("CSV files have no state column: pass --config with a csv feed that sets options.state")
    feed = FeedSpec(
        spec.name if spec else "replay", kind, _saved_url(kind, ends), spec.interval_seconds if spec else spacing, options
    )
    return recording_from_files(given, feed, spacing)


def _only_feeds(recording: Recording, feeds: Sequence[str]) -> Recording:
    if not feeds:
        return recording
    unknown = sorted(set(feeds) - {f.name for f in recording.feeds})
    if unknown:
        raise RecordingError(
            f"{recording.source} has no feed named {', '.join(unknown)} (it has {', '.join(f.name for f in recording.feeds)})"
        )
    kept = tuple(f for f in recording.feeds if f.name in feeds)
    return Recording(recording.source, kept, tuple(r for r in recording.responses if r.feed in feeds), recording.started_at)


def _saved_url(kind: str, ends: _Ends) -> str:
    """A URL for saved files. An AP reply names its endpoint in ``nextrequest``; serving the
    files there lets the bot follow its cursor to the next file, as it follows AP's."""
    path = "/feed.csv" if kind == "csv" else "/feed.json"
    if kind == "ap":
        nextrequest = ends.nextrequest()
        path = (urlsplit(nextrequest).path if nextrequest else "") or "/v2/elections"
    return "http://replay.invalid" + path


def sniff_kind(path: Path) -> str:
    """The feed kind of a saved body, for replaying files without a config."""
    return _sniff(b"", path) if path.suffix.lower() == ".csv" else _Ends.of(path).sniff()


@dataclass(slots=True)
class _Ends:
    """The first and last bytes of a saved body, which is all that telling its kind and reading
    an AP reply's ``nextrequest`` (written after the races) usually takes: a national reply is
    27 MB, and reading and scanning all of it was 45 ms of a 1.2 s replay. What the ends cannot
    settle is looked up in the whole file, so an odd file is told as before, only slower."""

    head: bytes
    tail: bytes
    whole: bool  # head is the whole body (tail is empty)
    path: Path
    _everything: bytes | None = None  # the whole file, once it had to be read

    #: bytes read from each end of a larger file
    SPAN = 1 << 16

    @classmethod
    def of(cls, path: Path) -> _Ends:
        try:
            with path.open("rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size <= 2 * cls.SPAN:
                    return cls(f.read(), b"", whole=True, path=path)
                head = f.read(cls.SPAN)
                f.seek(-cls.SPAN, os.SEEK_END)
                return cls(head, f.read(), whole=False, path=path)
        except OSError:
            return cls(b"", b"", whole=True, path=path)

    def everything(self) -> bytes:
        if self.whole:
            return self.head
        if self._everything is None:
            self._everything = _read_first(self.path)
        return self._everything

    def sniff(self) -> str:
        if not self.whole and self.head.lstrip()[:1] == b"{" and self.tail.rstrip()[-1:] == b"}":
            if b'"electionbot/1"' in self.head and _ELECTIONBOT.search(self.head):
                return "json"
            # AP's races carry "raceID", which electionbot/1 never writes: a native document
            # whose format key lies past the head is not taken for an AP reply
            if _AP_RACES.search(self.head) and b'"raceID"' in self.head and b'"electionbot/1"' not in self.tail:
                return "ap"
        return _sniff(self.everything(), self.path)

    def nextrequest(self) -> str | None:
        if self.whole:
            return _nextrequest(self.head)
        return _nextrequest(self.tail) or _nextrequest(self.head) or _nextrequest(self.everything())


# Sniffing looks for the marks of each kind in the bytes instead of decoding them: a national AP
# reply is 27 MB, and it was decoded twice (kind, then cursor) before the replay began. A body
# that only looks right is refused by the feed's own parser on the first poll, with its reason.
_ELECTIONBOT = re.compile(rb'"format"\s*:\s*"electionbot/1"')
_AP_RACES = re.compile(rb'"races"\s*:\s*\[')
_NEXTREQUEST = re.compile(rb'"nextrequest"\s*:\s*("(?:[^"\\]|\\.)*")')


def _read_first(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _sniff(data: bytes, path: Path) -> str:
    if path.suffix.lower() == ".csv":
        return "csv"
    if data.lstrip()[:1] == b"{" and data.rstrip()[-1:] == b"}":
        if b'"electionbot/1"' in data and _ELECTIONBOT.search(data):  # ``in`` is a fast scan, the regex is not
            return "json"
        if _AP_RACES.search(data):
            return "ap"
    raise RecordingError(
        f"cannot tell what kind of feed {path} is (electionbot/1 JSON, an AP reply or a .csv); pass --config naming one feed"
    )


def _nextrequest(data: bytes) -> str | None:
    # the first match starts at the key's first occurrence: found by a fast scan, the regex from there
    start = data.find(b'"nextrequest"')
    found = _NEXTREQUEST.search(data, start) if start >= 0 else None
    if found is None:
        return None
    try:
        value = json.loads(found.group(1))
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _content_type(name: str) -> str:
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return "application/json" if name.endswith(".json") else guessed


# -- writing ------------------------------------------------------------------------------------


class RecordingWriter:
    """The :data:`~bot.feeds.source.Recorder` of a session: archives each response as it comes.

    Sources call it from their poll threads, so writes are serialized; each manifest line is
    flushed at once, so a session cut short (Ctrl-C, a crash) leaves a readable recording of
    everything up to that moment. A disk problem stops the archive (``failed``) instead of
    taking the pollers down with it.
    """

    def __init__(
        self,
        out: str | Path,
        feeds: Iterable[FeedSpec],
        *,
        clock: Callable[[], datetime] | None = None,
        on_failure: Callable[[], None] | None = None,
    ):
        self.root = Path(out)
        self.root.mkdir(parents=True, exist_ok=True)
        if (self.root / MANIFEST).exists():
            raise RecordingError(f"{self.root} already holds a recording; choose an empty directory")
        (self.root / BODIES).mkdir(exist_ok=True)
        self.feeds = {spec.name: redacted(spec) for spec in feeds}
        self._clock = clock or (lambda: datetime.now(UTC))
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._polls: dict[str, int] = dict.fromkeys(self.feeds, 0)
        self._last_body: dict[str, tuple[str, str]] = {}  # url → (sha256, file)
        self.responses = 0
        self.bytes = 0
        self.failed: str | None = None
        self._on_failure = on_failure
        self._manifest: IO[str] | None = (self.root / MANIFEST).open("w", encoding="utf-8")
        header = {
            "format": FORMAT,
            "started_at": self._clock().isoformat(),
            "feeds": [_spec_dict(f) for f in self.feeds.values()],
        }
        self._write_line(header)

    def __call__(self, fetched: Fetched) -> None:
        with self._lock:
            if self._manifest is None or self.failed:
                return
            try:
                self._archive(fetched)
            except OSError as exc:
                self.failed = f"cannot write the recording in {self.root}: {exc.strerror or exc}"
                log.error("%s; recording stopped", self.failed)
                if self._on_failure is not None:
                    self._on_failure()

    def begin_poll(self, feed: str) -> None:
        """The feed starts a poll: its responses until the next one belong together (a replay
        publishes them all before asking the feed, as Clarity's version file and the files it
        names, or AP's truncated reply and its follow-up, were served together)."""
        with self._lock:
            if feed in self._polls:
                self._polls[feed] += 1

    def close(self) -> None:
        with self._lock:
            if self._manifest is not None:
                self._manifest.close()
                self._manifest = None

    def _archive(self, fetched: Fetched) -> None:
        feed = fetched.feed
        if feed not in self.feeds:
            log.warning("a response for feed %r, which this session does not record, was dropped", feed)
            return
        self.responses += 1
        seq = self.responses
        url = redact_url(fetched.url)
        line: dict[str, Any] = {
            "seq": seq,
            "feed": feed,
            "poll": self._polls[feed],
            "at": self._clock().isoformat(),
            "offset": round(time.monotonic() - self._started, 3),
            "url": url,
            "status": fetched.status,
            "content_type": fetched.content_type,
            "etag": fetched.headers.get("etag"),
            "last_modified": fetched.headers.get("last-modified"),
            "bytes": len(fetched.body),
            "sha256": None,
            "file": None,
        }
        if fetched.status < 400:
            digest = hashlib.sha256(fetched.body).hexdigest()
            known = self._last_body.get(url)
            if known is not None and known[0] == digest:
                name = known[1]
            else:
                name = f"{BODIES}/{seq:06d}-{feed}-{_file_name(url, fetched.content_type)}"
                (self.root / name).write_bytes(fetched.body)
                self._last_body[url] = (digest, name)
                self.bytes += len(fetched.body)
            line["sha256"], line["file"] = digest, name
        self._write_line(line)

    def _write_line(self, doc: Mapping[str, Any]) -> None:
        assert self._manifest is not None
        self._manifest.write(json.dumps(doc, ensure_ascii=False) + "\n")
        self._manifest.flush()


def _file_name(url: str, content_type: str) -> str:
    """``…/reports/detailxml.zip`` → ``detailxml.zip``; AP's ``…/2017-12-12`` → ``2017-12-12.json``."""
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] or "index"
    name = _UNSAFE.sub("_", last)[-60:].strip("._") or "body"
    if "." not in name:
        name += _EXTENSIONS.get(content_type, ".bin")
    return name


# -- the record session -------------------------------------------------------------------------


__all__ = [
    "FORMAT",
    "Poll",
    "Recording",
    "RecordingError",
    "RecordingWriter",
    "Response",
    "open_inputs",
    "read_recording",
    "recording_from_files",
    "redacted",
    "sniff_kind",
]
