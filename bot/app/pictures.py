"""Which pictures go where, and drawing them once per snapshot version.

- **With a call**: the night's chart and the swing map follow each race call to a platform that
  can upload (``orders``): queued in the poll's transaction right after the call, they keep the
  channel's order and pacing and are uploaded exactly once by the outbox worker, into the race's
  card thread (cards) or right after the call (messages).
- **On request**: ``/results alabama chart | map | map margin`` (``PictureDesk.command_answer``):
  the answer stays with the asker; the picture is an image block pointing at a signed, expiring
  ``{PUBLIC_URL}/charts/<id>.png`` when a public URL and a link-signing key are configured, else
  it is uploaded into a direct message with the asker (``send_direct``, after the ack). On
  Discord the interaction is deferred and the picture itself completes it as an attachment
  (``command_picture``, called by ``handlers.discord`` after the deferral).
- **Console**: ``python -m bot demo --charts DIR`` writes them to a folder (``write_pictures``).

Drawing is the render layer's (``bot.render.chart``, ``bot.render.county_map``), from the store's
history (``bot.store.history``); here they are looked up and cached by (feed, race, picture,
snapshot version), so a busy ``/results … chart`` draws once per poll. A picture that cannot be
drawn (no county shapes for the race's state, a figure's bug) is cached the same way as a
``NotDrawn`` with the reason in words: one log line per version, a clear sentence to each asker,
never a redraw per ask. Without matplotlib (the figures' one dependency) there are no pictures
and everything else works as before.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.core.digest import Digest
from bot.core.events import Alert, EventKind
from bot.core.model import Race
from bot.core.picture_orders import PICTURE_KINDS, PictureOrder
from bot.core.rules import RuleSettings
from bot.core.targets import Target
from bot.render.picture import Picture
from bot.store.database import Store

if TYPE_CHECKING:
    # the /results commands' parser (difflib, the state and office names): loaded by the command
    # handlers, not by a poller's or a replay's desk (issue 13)
    from bot.core.commands import Command

log = logging.getLogger("electionbot.pictures")

#: the pictures that follow a call (the margin map is on request only: the swing says more that night)
CALL_PICTURES = ("chart", "swing_map")
#: words for a picture in answers
PICTURE_NAMES = {"chart": "the night's chart", "swing_map": "the county swing map", "margin_map": "the county margin map"}


@dataclass(frozen=True, slots=True)
class NotDrawn:
    """A picture that could not be drawn, and why in the asker's words (after "Could not draw
    the chart of AL Senate: "). Cached like a picture, so asking again neither draws nor logs again."""

    reason: str


#: what a figure comes to: the picture, why there is none, or None (nothing to draw yet: no such race)
Drawing = Picture | NotDrawn | None
#: draws one picture of one race from the store as it is now: (feed, race_key) → a ``Drawing``
Figure = Callable[[str, str], Drawing]
#: said to the asker when a figure raised (the log line says which error)
FIGURE_FAILED = "something went wrong drawing it (the bot's log says what)"


def matplotlib_installed() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def pictures_on(setting: bool | None) -> bool:
    """``[alerts] pictures``: as set, or on when the figures can be drawn (matplotlib installed)."""
    return matplotlib_installed() if setting is None else setting


def default_figures(store: Store, rules: RuleSettings) -> dict[str, Figure]:
    """The render layer's figure functions bound to the store: the race as last stored, its
    history (``bot.store.history``, never a snapshot decode), the baseline the rules' context
    gives it. Empty without matplotlib, which turns pictures off. The figure modules (and
    matplotlib) are imported at the first drawing, not here: a process that never draws (the
    console, the tests of everything else) does not pay seconds of imports at start.

    A map of a race whose state has no county shapes (a national race, state "US"; a territory)
    is ``NotDrawn`` with that reason and one line at INFO, as is a swing map with no baseline
    election configured: neither is a fault."""
    if not matplotlib_installed():
        log.info("pictures are off: the figures need matplotlib")
        return {}

    def race_of(feed: str, race_key: str) -> Race | None:
        # Only the state's races where a national feed stores its races apart: one state's
        # picture must not decode 7,000 races (``Store.state_snapshots``; keys start with the state).
        apart = store.state_snapshots(race_key.split("-", 1)[0])
        if apart is not None:
            return next((snap.races.get(race_key) for snap in apart if snap.feed == feed), None)
        stored = store.load(feed)
        return stored.snapshot.races.get(race_key) if stored is not None and stored.snapshot is not None else None

    def chart(feed: str, race_key: str) -> Drawing:
        from bot.render.chart import race_chart
        from bot.store.history import race_history

        race = race_of(feed, race_key)
        return race_chart(race, race_history(store, feed, race_key), rules) if race is not None else None

    def swing(feed: str, race_key: str) -> Drawing:
        from bot.render.county_map import swing_map

        race = race_of(feed, race_key)
        if race is None:
            return None
        baseline = rules.context.baseline_for(race)
        if baseline is None:
            log.info("race %s: no baseline election configured, so no swing map", race_key)
            return NotDrawn(f"no earlier election is configured to compare {race.state} with")
        return _shaped(lambda: swing_map(race, baseline), race)

    def margin(feed: str, race_key: str) -> Drawing:
        from bot.render.county_map import margin_map

        race = race_of(feed, race_key)
        return _shaped(lambda: margin_map(race), race) if race is not None else None

    return {"chart": chart, "swing_map": swing, "margin_map": margin}


def _shaped(draw: Callable[[], Picture | None], race: Race) -> Drawing:
    """A county map, or why there is none: no shapes for the race's state is a fact, not a fault."""
    from bot.render.county_shapes import ShapesError

    try:
        return draw()
    except ShapesError as exc:
        log.info("race %s: no county map (%s)", race.key, exc)
        return NotDrawn(f"there is no county map of {race.state or 'its state'}")


def _attempt(figure: Figure, feed: str, race_key: str, kind: str, version: int) -> Drawing:
    """One drawing; a figure's bug is one line (its traceback at DEBUG) and a ``NotDrawn``,
    cached by the caller's key like a picture: the next ask of this version says it again
    without drawing, the next poll's version tries afresh."""
    try:
        return figure(feed, race_key)
    except Exception as exc:
        log.warning(
            "could not draw %s of %s (feed %s, version %d): %s: %s",
            kind,
            race_key,
            feed,
            version,
            type(exc).__name__,
            exc,
        )
        log.debug("the figure's traceback", exc_info=exc)
        return NotDrawn(FIGURE_FAILED)


class PictureCache:
    """The latest pictures by (feed, race, kind, snapshot version): a new poll of the feed makes
    the old keys unreachable; a small LRU keeps memory bounded."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._items: OrderedDict[tuple[Any, ...], Drawing] = OrderedDict()
        self._lock = threading.Lock()
        #: one lock per key being drawn: a burst of the same request draws once, the rest wait for it
        self._drawing: dict[tuple[Any, ...], threading.Lock] = {}
        self.hits = 0
        self.draws = 0

    def peek(self, key: tuple[Any, ...]) -> tuple[bool, Drawing]:
        """(whether ``key`` was drawn, what it came to), never drawing."""
        with self._lock:
            return (True, self._items[key]) if key in self._items else (False, None)

    def get_or_draw(self, key: tuple[Any, ...], draw: Callable[[], Drawing]) -> Drawing:
        """The cached drawing (a picture, why not, or "nothing to draw") for ``key``, else ``draw()`` once:
        other threads asking for the same key meanwhile wait for that drawing; other keys do not."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
            gate = self._drawing.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._items:
                    self.hits += 1
                    return self._items[key]
            try:
                picture = draw()  # outside the cache's lock: a draw takes a few hundred ms
            finally:
                with self._lock:
                    self._drawing.pop(key, None)
            with self._lock:
                self.draws += 1
                self._items[key] = picture
                self._items.move_to_end(key)
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
            return picture


class PictureDesk:
    def __init__(
        self,
        store: Store,
        figures: Mapping[str, Figure],
        *,
        platforms: Collection[str] = ("slack",),
        call_pictures: Sequence[str] = CALL_PICTURES,
        public_url: str | None = None,
        signing_key: str | None = None,
        clock: Callable[[], float] = time.time,
        cache: PictureCache | None = None,
    ) -> None:
        self.store = store
        self.figures = dict(figures)
        #: the platforms whose sink uploads (the console prints no pictures; the demo writes them)
        self.platforms = frozenset(platforms)
        self.call_pictures = tuple(k for k in call_pictures if k in self.figures)
        self.public_url = public_url
        self.signing_key = signing_key
        self.clock = clock
        self.cache = cache or PictureCache()
        #: the drawings and direct-message uploads started after an ack (tests wait for them)
        self.sending: list[threading.Thread] = []

    @property
    def enabled(self) -> bool:
        return bool(self.figures)

    # --- the outbox ------------------------------------------------------------------------

    def orders(self, alert: Alert | Digest, target: Target) -> list[PictureOrder]:
        """The pictures that follow ``alert`` to ``target``: a race's call, to an uploading platform."""
        if target.platform not in self.platforms or isinstance(alert, Digest | PictureOrder):
            return []
        if alert.race_key is None or not any(e.kind == EventKind.RACE_CALLED for e in alert.events):
            return []
        return [
            PictureOrder(alert.feed, alert.race_key, kind, alert.at, alert.test, alert.key) for kind in self.call_pictures
        ]

    def draw(self, order: PictureOrder) -> Picture | None:
        """The outbox worker's drawing of a queued picture (the race as stored now)."""
        return self.picture(order.feed, order.race_key, order.picture)

    # --- any picture, cached ---------------------------------------------------------------

    def version(self, feed: str) -> int:
        """The feed's snapshot version as a number (its poll count): the cache's and the link's."""
        found = self.store.snapshot_versions().get(feed)
        return int(found[1]) if found is not None else 0

    def picture(self, feed: str, race_key: str, kind: str) -> Picture | None:
        """The picture, or None when there is none to send (why is the ``drawing``'s)."""
        drawn = self.drawing(feed, race_key, kind)
        return drawn if isinstance(drawn, Picture) else None

    def drawing(self, feed: str, race_key: str, kind: str) -> Drawing:
        """What the figure came to for the feed's current version, drawn at most once per version."""
        figure = self.figures.get(kind)
        if figure is None:
            return None
        version = self.version(feed)
        return self.cache.get_or_draw(
            (feed, race_key, kind, version), lambda: _attempt(figure, feed, race_key, kind, version)
        )

    # --- /results … chart | map | map margin -----------------------------------------------

    def race_for(self, cmd: Command) -> tuple[str, str, str] | None:
        """(feed, race key, label) of the state's race the command means: the first statewide race
        of the state (of ``cmd.office`` when given) in feed order."""
        from bot.core.commands import OFFICE_IDS

        office_id = OFFICE_IDS.get(cmd.office) if cmd.office else None
        for snapshot in self.store.latest_snapshots():
            for race in snapshot.races.values():
                if race.state != cmd.state or getattr(race, "county", None):
                    continue
                if office_id is not None and (race.office_id or "").upper() != office_id.upper():
                    continue
                label = " ".join(p for p in (race.state, race.office, race.seat) if p)
                return snapshot.feed, race.key, label
        return None

    def command_answer(self, cmd: Command) -> dict[str, Any]:
        """The ephemeral answer to a picture command (text + blocks, Slack's message shape)."""
        what = PICTURE_NAMES.get(cmd.picture or "", "the picture")
        if not self.enabled:
            return _text("Pictures are not available on this server (the figures need matplotlib).")
        found = self.race_for(cmd)
        if found is None:
            return _text(f"There is no race to draw for {cmd.state} in the latest results.")
        feed, race_key, label = found
        if self.public_url and self.signing_key:
            from bot.app.chart_route import chart_url  # the route's signer; no import cycle at module load

            assert cmd.picture is not None
            # Never drawn inside the 3 s ack (a cold chart takes seconds on a busy host): a picture
            # already drawn for this version lends its title and alt text (the numbers in words);
            # else the drawing starts now, and Slack's fetch of the URL waits for that one drawing.
            version = self.version(feed)
            key = (feed, race_key, cmd.picture, version)
            drawn, picture = self.cache.peek(key)
            if isinstance(picture, NotDrawn):
                return _text(_not_drawn(what, label, picture))
            if drawn and picture is None:
                return _text(f"There is nothing to draw yet for {label}.")
            if not drawn:
                self._draw_later(feed, race_key, cmd.picture)
            title = picture.title if picture is not None else f"{label}: {what}"
            alt = picture.alt_text if picture is not None else f"{what[:1].upper()}{what[1:]} of {label}."
            url = chart_url(self.public_url, self.signing_key, feed, race_key, cmd.picture, version, self.clock())
            return {
                "text": _escaped(f"{title}: {alt}"),
                "blocks": [
                    {
                        "type": "image",
                        "image_url": url,
                        "alt_text": alt[:2000],
                        "title": {"type": "plain_text", "text": title[:2000]},
                    }
                ],
            }
        assert cmd.picture is not None
        _, known = self.cache.peek((feed, race_key, cmd.picture, self.version(feed)))
        if isinstance(known, NotDrawn):  # drawn for this version already and failed: no DM will come
            return _text(_not_drawn(what, label, known))
        return _text(f"Sending {what} of {label} to your direct messages.")

    def command_picture(self, cmd: Command) -> Picture | str:
        """The picture a command asks for (cached by race and snapshot version: a burst draws
        once), or the sentence saying why there is none: Discord's answer, which carries the
        picture itself as an attachment (no URL, no DM). Drawing takes up to seconds: the
        caller has already deferred the interaction."""
        what = PICTURE_NAMES.get(cmd.picture or "", "the picture")
        if not self.enabled:
            return "Pictures are not available on this server (the figures need matplotlib)."
        found = self.race_for(cmd)
        if found is None or cmd.picture is None:
            return f"There is no race to draw for {cmd.state} in the latest results."
        feed, race_key, label = found
        picture = self.drawing(feed, race_key, cmd.picture)
        if isinstance(picture, NotDrawn):
            return _not_drawn(what, label, picture)
        return picture if picture is not None else f"There is nothing to draw yet for {label} ({what})."

    def wants_direct(self, cmd: Command) -> bool:
        """Whether the picture goes by direct message (no public URL to point an image block at)."""
        return cmd.kind == "picture" and self.enabled and not (self.public_url and self.signing_key)

    def _draw_later(self, feed: str, race_key: str, kind: str) -> None:
        def run() -> None:
            try:
                self.picture(feed, race_key, kind)  # a figure's failure is cached and said by ``_attempt``
            except Exception as exc:  # the store, say: one line, and the next ask tries again
                log.warning("could not draw %s of %s (%s: %s)", kind, race_key, type(exc).__name__, exc)
                log.debug("the traceback", exc_info=exc)

        thread = threading.Thread(target=run, name="picture-draw", daemon=True)
        thread.start()
        self.sending.append(thread)

    def send_direct_later(self, cmd: Command, user_id: str, client: Any) -> None:
        """``send_direct`` in its own thread, after the command's ack (drawing and uploading
        take longer than Slack's 3 s); a failure is one log line, the asker was already answered."""

        def run() -> None:
            try:
                self.send_direct(cmd, user_id, client)
            except Exception as exc:  # DeliveryError, or a figure bug: said once, nothing retried
                log.warning("/results %s: could not send the picture by direct message (%s)", cmd.canonical, exc)

        thread = threading.Thread(target=run, name="picture-dm", daemon=True)
        thread.start()
        self.sending.append(thread)

    def send_direct(self, cmd: Command, user_id: str, client: Any) -> str | None:
        """Upload the command's picture into a DM with ``user_id`` (conversations.open, then the
        same two-step upload as the outbox's); returns the file id, None when there is nothing to send."""
        from bot.delivery.slack import SlackSink

        found = self.race_for(cmd)
        if found is None or cmd.picture is None:
            return None
        picture = self.picture(found[0], found[1], cmd.picture)
        if picture is None:
            return None
        sink = SlackSink(client)
        opened = sink._call(lambda: client.conversations_open(users=user_id))
        channel_id = str((opened.get("channel") or {}).get("id") or "")
        if not channel_id:
            return None
        return sink.send_picture(picture, channel_id)


def web_desk(store: Store, rules: RuleSettings, setting: bool | None, secrets: Any) -> PictureDesk:
    """The desk of a web process (``bot.wsgi``): it answers ``/results … chart`` and serves
    ``/charts/``; it queues nothing (the worker process's runtime does)."""
    return PictureDesk(
        store,
        default_figures(store, rules) if pictures_on(setting) else {},
        public_url=secrets.public_url,
        signing_key=secrets.link_signing_key,
    )


def picture_routes(desk: PictureDesk | None) -> dict[str, Any]:
    """``{"/charts/": …}`` for ``wsgi_app(routes=...)`` when image links can be signed and served
    (``PUBLIC_URL`` and ``LINK_SIGNING_KEY`` set, figures drawable); else none."""
    if desk is None or not desk.enabled or not (desk.public_url and desk.signing_key):
        return {}
    from bot.app.chart_route import PREFIX, chart_app

    return {PREFIX: chart_app(desk.signing_key, desk.picture)}


def write_pictures(desk: PictureDesk, directory: Path, feed: str, race_keys: Sequence[str]) -> list[tuple[Path, float]]:
    """Every picture of each race into ``directory`` (created), by its own file name: the paths
    and the milliseconds each took to draw (from the cache: no drawing, a fraction of one)."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[tuple[Path, float]] = []
    for race_key in race_keys:
        for kind in PICTURE_KINDS:
            started = time.perf_counter()
            picture = desk.picture(feed, race_key, kind)
            took = (time.perf_counter() - started) * 1000
            if picture is None:
                continue
            path = directory / picture.filename
            path.write_bytes(picture.png)
            written.append((path, took))
    return written


def _not_drawn(what: str, label: str, why: NotDrawn) -> str:
    return f"Could not draw {what} of {label}: {why.reason}."


def _text(text: str) -> dict[str, Any]:
    """Plain text (a feed's words in it are never markup, never a mention)."""
    return {"text": _escaped(text), "blocks": [{"type": "section", "text": {"type": "plain_text", "text": text}}]}


def _escaped(text: str) -> str:
    """Slack's three control characters escaped: ``<!channel>`` in a feed's words stays text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
