"""What a channel hears on a national night: one poll's routine news as one digest.

A national poll can carry news of thousands of races. Told one message per race, a channel would
get about 6,700 messages from the first poll (two hours of Slack's one-a-second pacing). So, per
channel and per poll, alerts are sorted in two:

* **individual** — as today, one message per race: calls, uncalls, lead changes and the other
  news of a race the channel *follows* (``bot.core.follow``: ``FOLLOWED_INDIVIDUAL``), and anywhere,
  whether followed or not, what the desk must never miss in a list: the recount zone (entered,
  left, write-ins above the margin), a withdrawn call (it corrects something the channel was
  told), the balance of power (a chamber, not a race) and feed notices (``ALWAYS_INDIVIDUAL``);
* **routine** — everything else (``ROUTINE``): first votes and the first leader they show (a
  leader taking over from another is a lead change), milestones, all precincts in, county
  batches and corrections, status changes, and the calls, lead changes and count arithmetic
  (runoff reckonings, out of reach, flip indications) of races the channel does not follow.

When more than ``threshold`` races (the setting ``[alerts] digest_after_races``, default 5) have
routine news for a channel in one poll, those races go out as one digest ("First votes in 212
races across 6 states", listed by state); otherwise every alert stays individual, exactly as
before, so a one-race night (Alabama 2017) is unchanged. At the boundary: 5 routine races are 5
messages, 6 are one digest.

Where the grouping happens — at queue time, in the poller's transaction, not at send time. The
digest is then an outbox row like any alert, written in the same transaction as the snapshot
whose events it holds: a crash before the commit redoes the poll and builds the same digest with
the same key (from the snapshot's time, the channel and the alerts' own keys, never the clock),
a crash after it leaves the row queued, and the unique (key, channel) constraint keeps a second
insert out. Grouping at send time would have to re-read and re-decide rows that other rounds
may already have taken, and a restart could regroup them differently. What must be decided at
send time — the per-channel budget, which depends on what was posted in the last minute — is
the worker's rollup (``bot.delivery.budget``); it never reopens a digest.

A digest is split at queue time into parts that each fit one message, so every part lists every
race it holds and a restart sends the same parts. This module decides the grouping (which race
goes in which category, state line, section and part) and writes no word: the words and their
size as sent (Block Kit's 50 blocks and 3,000 characters per text, measured after Slack
escaping) come in as :class:`DigestWords`, which ``bot.render.digest_words`` implements, and are
kept in the parts (a race's label and the few words of its news), so a restart sends the same
text. Pure: alerts in, digests out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.core.events import Alert, Event, EventKind, RaceFacts, Severity
from bot.core.states import state_name

#: routine news of more races than this in one poll goes out as a digest (the setting's default).
DIGEST_AFTER_RACES = 5

#: always one message of their own, whoever follows what.
ALWAYS_INDIVIDUAL = frozenset(
    {
        EventKind.RECOUNT_ENTERED,
        EventKind.RECOUNT_LEFT,
        EventKind.WRITE_INS_EXCEED_MARGIN,
        EventKind.RACE_UNCALLED,
        EventKind.BALANCE_OF_POWER,
        EventKind.FEED_STALE,
        EventKind.FEED_FAILING,
        EventKind.FEED_RECOVERED,
    }
)
#: one message of their own in a followed race; in a digest elsewhere.
FOLLOWED_INDIVIDUAL = frozenset(
    {
        EventKind.RACE_CALLED,
        EventKind.RUNOFF,
        EventKind.SEAT_GAIN,
        EventKind.LEAD_CHANGE,
        EventKind.RUNOFF_HEADED,
        EventKind.RUNOFF_PAIR,
        EventKind.RUNOFF_AVOIDED,
        EventKind.RUNOFF_WITHDRAWN,
        EventKind.OUT_OF_REACH,
        EventKind.FLIP_INDICATION,
    }
)
#: in a digest wherever they happen (on a big poll).
ROUTINE = frozenset(
    {
        EventKind.FIRST_VOTES,
        EventKind.TAKES_LEAD,
        EventKind.MILESTONE,
        EventKind.ALL_REPORTING,
        EventKind.COUNTY_BATCH,
        EventKind.COUNTY_COMPLETE,
        EventKind.CORRECTION,
        EventKind.STATUS_CHANGED,
    }
)

#: the digest's categories, in the order a reader wants them (their headlines: ``bot.render.digest_words``).
CATEGORIES: tuple[str, ...] = (
    "called",
    "gains",
    "leads",
    "arithmetic",
    "first_votes",
    "all_in",
    "milestones",
    "status",
    "counties",
)
_ORDER = {name: i for i, name in enumerate(CATEGORIES)}
CATEGORY_OF: Mapping[EventKind, str] = {
    EventKind.RACE_CALLED: "called",
    EventKind.RUNOFF: "called",
    EventKind.SEAT_GAIN: "gains",
    EventKind.LEAD_CHANGE: "leads",
    EventKind.TAKES_LEAD: "leads",
    EventKind.RUNOFF_HEADED: "arithmetic",
    EventKind.RUNOFF_PAIR: "arithmetic",
    EventKind.RUNOFF_AVOIDED: "arithmetic",
    EventKind.RUNOFF_WITHDRAWN: "arithmetic",
    EventKind.OUT_OF_REACH: "arithmetic",
    EventKind.FLIP_INDICATION: "arithmetic",
    EventKind.FIRST_VOTES: "first_votes",
    EventKind.ALL_REPORTING: "all_in",
    EventKind.MILESTONE: "milestones",
    EventKind.STATUS_CHANGED: "status",
    EventKind.COUNTY_BATCH: "counties",
    EventKind.COUNTY_COMPLETE: "counties",
    EventKind.CORRECTION: "counties",
}


def is_routine(alert: Alert, followed: bool) -> bool:
    """Whether an alert (one race's events in one poll) may go in a digest for a channel that
    does (``followed``) or does not follow its race. One individual event keeps the whole alert
    individual; an event kind this module does not know does too (never hide what is new)."""
    if alert.race_key is None or alert.facts is None:
        return False
    for event in alert.events:
        if event.kind in ROUTINE:
            continue
        if event.kind in FOLLOWED_INDIVIDUAL and not followed:
            continue
        return False
    return True


class DigestWords(Protocol):
    """What a digest says and how long it is as sent (``bot.render.digest_words``). The core
    decides which race goes where; the words decide what is said of it and how much fits."""

    #: characters a section's text may hold as sent, and a state's line (room left for its headline)
    section_limit: int
    line_limit: int
    #: sections in one message (the rest of its blocks: the intro and the closing context)
    sections_per_part: int

    def label(self, facts: RaceFacts) -> str:
        """The race as a digest lists it ("U.S. House, District 1")."""
        ...

    def note(self, category: str, events: Sequence[Event], facts: RaceFacts) -> str | None:
        """The few words said of a race's news in one category (``events``: :func:`news_of`'s)."""
        ...

    def line_size(self, line: Line) -> int:
        """A line's size as sent; never smaller for a line with more items (``_cut`` relies on it)."""
        ...

    def section_size(self, section: Section, totals: Mapping[str, tuple[int, int]]) -> int: ...


def news_of(events: Sequence[Event]) -> dict[str, tuple[Event, ...]]:
    """A race's events by the category it is listed under, each with the events its note speaks
    of. A race's first count and the leader it shows are one piece of news: listed under first
    votes, said with its leader (the leads' events), not listed under new leaders."""
    news: dict[str, list[Event]] = {}
    for event in events:
        category = CATEGORY_OF.get(event.kind)
        if category is not None:
            news.setdefault(category, []).append(event)
    if "first_votes" in news and "leads" in news:
        news["first_votes"] = news.pop("leads")
    return {category: tuple(said) for category, said in news.items()}


def _notes(events: Sequence[Event], facts: RaceFacts, words: DigestWords) -> dict[str, str | None]:
    return {category: words.note(category, said, facts) for category, said in news_of(events).items()}


@dataclass(frozen=True, slots=True)
class Item:
    race_key: str
    label: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """A state's races in one category (a long list is cut into lines marked ``continued``)."""

    category: str
    state: str
    items: tuple[Item, ...]
    continued: bool = False


@dataclass(frozen=True, slots=True)
class Section:
    """One Block Kit section: one category's lines, under its headline ("continued" when the
    category's list began in an earlier section)."""

    lines: tuple[Line, ...]
    continued: bool = False


@dataclass(frozen=True, slots=True)
class Digest:
    """One message of a digest: duck-typed like an ``Alert`` for the outbox (``key``, ``feed``,
    ``race_key`` None, ``to_dict``), rendered by ``bot.render.digest``."""

    key: str
    feed: str
    at: str
    test: bool
    part: int  # 1-based
    parts: int
    races: int  # in the whole digest (all parts)
    states: int
    #: per category of the whole digest: (category, races, states)
    totals: tuple[tuple[str, int, int], ...]
    sections: tuple[Section, ...]
    race_key: None = None
    facts: None = None
    events: tuple[Event, ...] = ()

    @property
    def severity(self) -> Severity:
        return Severity.MILESTONE

    def race_keys(self) -> list[str]:
        """Every race this part lists (a race with news of two kinds is listed under both)."""
        seen: dict[str, None] = {}
        for section in self.sections:
            for line in section.lines:
                for item in line.items:
                    seen.setdefault(item.race_key, None)
        return list(seen)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "digest",
            "key": self.key,
            "feed": self.feed,
            "at": self.at,
            "test": self.test,
            "part": self.part,
            "parts": self.parts,
            "races": self.races,
            "states": self.states,
            "totals": [list(t) for t in self.totals],
            "sections": [
                {
                    "continued": section.continued,
                    "lines": [
                        {
                            "category": ln.category,
                            "state": ln.state,
                            "continued": ln.continued,
                            "items": [[i.race_key, i.label, i.note] for i in ln.items],
                        }
                        for ln in section.lines
                    ],
                }
                for section in self.sections
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Digest:
        sections = tuple(
            Section(
                tuple(
                    Line(
                        ln["category"],
                        ln["state"],
                        tuple(Item(k, label, note) for k, label, note in ln["items"]),
                        bool(ln.get("continued")),
                    )
                    for ln in section["lines"]
                ),
                bool(section.get("continued")),
            )
            for section in data["sections"]
        )
        return cls(
            data["key"],
            data["feed"],
            data["at"],
            bool(data.get("test")),
            int(data["part"]),
            int(data["parts"]),
            int(data["races"]),
            int(data["states"]),
            tuple((str(c), int(r), int(s)) for c, r, s in data["totals"]),
            sections,
        )


def is_digest(payload: Mapping[str, Any]) -> bool:
    return payload.get("kind") == "digest"


@dataclass(frozen=True, slots=True)
class ChannelPlan:
    individual: tuple[Alert, ...]
    digests: tuple[Digest, ...]


def plan(
    alerts: Sequence[Alert],
    followed: Callable[[Alert], bool],
    *,
    threshold: int = DIGEST_AFTER_RACES,
    channel: str,
    version: str,
    words: DigestWords,
) -> ChannelPlan:
    """One channel's alerts of one poll → what it is sent. ``version`` names the poll (the
    snapshot's time): with the channel and the alerts' keys it makes the digest's key."""
    routine = [a for a in alerts if is_routine(a, followed(a))]
    if len({a.race_key for a in routine}) <= threshold:
        return ChannelPlan(tuple(alerts), ())
    # One odd race costs one race: an alert the digest cannot list goes out on its own.
    listed = [(a, said) for a in routine if (said := _listable(a, words)) is not None]
    held = {id(a) for a, _ in listed}
    individual = tuple(a for a in alerts if id(a) not in held)
    return ChannelPlan(individual, _build(listed, channel=channel, version=version, words=words))


def _listable(alert: Alert, words: DigestWords) -> tuple[dict[str, str | None], str] | None:
    """The race's notes and label as the digest lists them, or ``None`` when it cannot be listed
    (kept for the digest: a national first poll's 2,000 races were worded twice)."""
    try:
        assert alert.facts is not None
        notes = _notes(alert.events, alert.facts, words)
        label = words.label(alert.facts)
        state_name(alert.facts.state)
    except Exception:  # noqa: BLE001 - whatever is odd about it, the race is sent on its own
        return None
    return notes, label


def build(alerts: Sequence[Alert], *, channel: str, version: str, words: DigestWords) -> tuple[Digest, ...]:
    """The digest of ``alerts`` (routine, one per race), split into parts that fit a message."""
    listed = []
    for alert in alerts:
        facts = alert.facts
        assert facts is not None  # routine alerts are race alerts
        listed.append((alert, (_notes(alert.events, facts, words), words.label(facts))))
    return _build(listed, channel=channel, version=version, words=words)


def _build(
    listed: Sequence[tuple[Alert, tuple[dict[str, str | None], str]]], *, channel: str, version: str, words: DigestWords
) -> tuple[Digest, ...]:
    """``build`` with each alert's notes and label already worded."""
    if not listed:
        return ()
    alerts = [a for a, _ in listed]
    feed = alerts[0].feed
    test = any(a.test or (a.facts is not None and a.facts.test) for a in alerts)
    by_category: dict[str, dict[str, list[Item]]] = {}
    states: set[str] = set()
    for alert, (notes, label) in listed:
        facts = alert.facts
        assert facts is not None  # routine alerts are race alerts
        states.add(facts.state)
        for category, note in notes.items():
            by_category.setdefault(category, {}).setdefault(facts.state, []).append(Item(facts.race_key, label, note))
    totals = tuple(
        (cat, sum(len(items) for items in by_state.values()), len(by_state))
        for cat, by_state in sorted(by_category.items(), key=lambda kv: _ORDER[kv[0]])
    )
    lines: list[Line] = []
    for cat, _races, _states in totals:
        for state in sorted(by_category[cat], key=lambda s: (state_name(s), s)):
            items = sorted(by_category[cat][state], key=lambda i: (i.label, i.race_key))
            lines.extend(_cut(cat, state, items, words))
    parts = _pack(lines, dict((c, (r, s)) for c, r, s in totals), words)
    fingerprint = hashlib.sha1("\n".join([channel, version, *sorted(a.key for a in alerts)]).encode()).hexdigest()[:16]
    return tuple(
        Digest(
            f"{feed}/-/digest/{version}/{fingerprint}/{i}",
            feed,
            alerts[0].at,
            test,
            i,
            len(parts),
            len({a.race_key for a in alerts}),
            len(states),
            totals,
            part,
        )
        for i, part in enumerate(parts, start=1)
    )


# --- splitting to the measure of the words as sent --------------------------------------------


def _cut(category: str, state: str, items: list[Item], words: DigestWords) -> list[Line]:
    """A state's list, cut into lines that each fit a section under its headline: each line the
    longest run of the next items that fits (at least one item, however long).

    The run is found by galloping then halving, a few measures per line: a line's size grows
    with its items (``DigestWords.line_size``), so this is the line that adding items one by one
    until one did not fit gave, which measured the whole line again for every item (quadratic:
    a state's 400 first votes were 400 measures of lines of up to 100 races)."""
    out: list[Line] = []
    start = 0
    while start < len(items):
        end = _line_end(category, state, items, start, bool(out), words)
        out.append(Line(category, state, tuple(items[start:end]), continued=bool(out)))
        start = end
    return out


def _line_end(category: str, state: str, items: list[Item], start: int, continued: bool, words: DigestWords) -> int:
    """Where the line of ``items[start:]`` ends: the longest run that fits, at least one item."""

    def fits(end: int) -> bool:
        return words.line_size(Line(category, state, tuple(items[start:end]), continued=continued)) <= words.line_limit

    if fits(len(items)):  # most states' lists are one line
        return len(items)
    good, step = start + 1, 1  # one item always goes in
    while good + step <= len(items) and fits(good + step):
        good += step
        step *= 2
    bad = min(good + step, len(items) + 1)  # items[start:bad] does not fit, or runs past the end
    while bad - good > 1:
        middle = (good + bad) // 2
        if fits(middle):
            good = middle
        else:
            bad = middle
    return good


def _pack(lines: Sequence[Line], totals: Mapping[str, tuple[int, int]], words: DigestWords) -> list[tuple[Section, ...]]:
    """Lines → sections (each of one category, within ``words.section_limit`` as sent) → parts of
    at most ``words.sections_per_part`` sections. A section that goes on with a category says so."""
    sections: list[Section] = []
    current: list[Line] = []
    continued = False

    def close() -> None:
        sections.append(Section(tuple(current), continued))

    for line in lines:
        if current and current[0].category != line.category:
            close()
            current, continued = [], False
        elif current and words.section_size(Section((*current, line), continued), totals) > words.section_limit:
            close()
            current, continued = [], True
        current.append(line)
    if current:
        close()
    per_part = words.sections_per_part
    return [tuple(sections[i : i + per_part]) for i in range(0, len(sections), per_part)]


__all__ = [
    "ALWAYS_INDIVIDUAL",
    "CATEGORIES",
    "CATEGORY_OF",
    "DIGEST_AFTER_RACES",
    "FOLLOWED_INDIVIDUAL",
    "ROUTINE",
    "ChannelPlan",
    "Digest",
    "DigestWords",
    "Item",
    "Line",
    "Section",
    "build",
    "is_digest",
    "is_routine",
    "news_of",
    "plan",
]
