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

A digest is split at queue time into parts that each fit one Block Kit message (at most 50
blocks, 3,000 characters per text; measured after Slack escaping), so every part lists every
race it holds and a restart sends the same parts. Pure: alerts in, digests out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.events import Alert, Event, EventKind, RaceFacts, Severity
from bot.core.names import surname
from bot.core.offices import race_office
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

#: the digest's categories, in the order a reader wants them, with their headline.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("called", "Calls from the feed in {races} across {states}"),
    ("gains", "Seat gains in {races} across {states}"),
    ("leads", "New leaders in {races} across {states}"),
    ("arithmetic", "The count's arithmetic (not calls) in {races} across {states}"),
    ("first_votes", "First votes in {races} across {states}"),
    ("all_in", "Counting complete in {races} across {states}"),
    ("milestones", "Reporting milestones in {races} across {states}"),
    ("status", "Status changes in {races} across {states}"),
    ("counties", "County results in {races} across {states}"),
)
_HEADLINES = dict(CATEGORIES)
_ORDER = {name: i for i, (name, _) in enumerate(CATEGORIES)}
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

# Block Kit: 50 blocks (one intro, one closing context, the rest sections) and 3,000 characters
# per section text; a margin for the headline's "(continued)" and rounding.
SECTION_CHARS = 2900
SECTIONS_PER_PART = 46
_LABEL_CHARS = 100
_NOTE_CHARS = 80


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
) -> ChannelPlan:
    """One channel's alerts of one poll → what it is sent. ``version`` names the poll (the
    snapshot's time): with the channel and the alerts' keys it makes the digest's key."""
    routine = [a for a in alerts if is_routine(a, followed(a))]
    if len({a.race_key for a in routine}) <= threshold:
        return ChannelPlan(tuple(alerts), ())
    # One odd race costs one race: an alert the digest cannot list goes out on its own.
    listable = [a for a in routine if _listable(a)]
    held = {id(a) for a in listable}
    individual = tuple(a for a in alerts if id(a) not in held)
    return ChannelPlan(individual, build(listable, channel=channel, version=version))


def _listable(alert: Alert) -> bool:
    try:
        assert alert.facts is not None
        _notes(alert.events, alert.facts)
        _label(alert.facts)
        state_name(alert.facts.state)
    except Exception:  # noqa: BLE001 - whatever is odd about it, the race is sent on its own
        return False
    return True


def build(alerts: Sequence[Alert], *, channel: str, version: str) -> tuple[Digest, ...]:
    """The digest of ``alerts`` (routine, one per race), split into parts that fit a message."""
    if not alerts:
        return ()
    feed = alerts[0].feed
    test = any(a.test or (a.facts is not None and a.facts.test) for a in alerts)
    by_category: dict[str, dict[str, list[Item]]] = {}
    states: set[str] = set()
    for alert in alerts:
        facts = alert.facts
        assert facts is not None  # routine alerts are race alerts
        states.add(facts.state)
        for category, note in _notes(alert.events, facts).items():
            by_category.setdefault(category, {}).setdefault(facts.state, []).append(
                Item(facts.race_key, _label(facts), note)
            )
    totals = tuple(
        (cat, sum(len(items) for items in by_state.values()), len(by_state))
        for cat, by_state in sorted(by_category.items(), key=lambda kv: _ORDER[kv[0]])
    )
    lines: list[Line] = []
    for cat, _races, _states in totals:
        for state in sorted(by_category[cat], key=lambda s: (state_name(s), s)):
            items = sorted(by_category[cat][state], key=lambda i: (i.label, i.race_key))
            lines.extend(_cut(cat, state, items))
    parts = _pack(lines, dict((c, (r, s)) for c, r, s in totals))
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


# --- words ------------------------------------------------------------------------------------


def headline(category: str, races: int, states: int) -> str:
    return _HEADLINES[category].format(races=_count(races, "race"), states=_count(states, "state"))


def intro(digest: Digest) -> str:
    part = f" (part {digest.part} of {digest.parts})" if digest.parts > 1 else ""
    return f"{'TEST — ' if digest.test else ''}News in {_count(digest.races, 'race')} across {_count(digest.states, 'state')}{part}"


def line_text(line: Line, escape: Callable[[str], str] = lambda t: t, bold: bool = False) -> str:
    """'*Alabama* (2): U.S. House, District 1 — Jones (Dem); U.S. Senate' (bold for Slack)."""
    name = escape(state_name(line.state))
    head = (f"*{name}*" if bold else name) + (" (continued)" if line.continued else "")
    return f"{head}: " + "; ".join(escape(item.label + (f" — {item.note}" if item.note else "")) for item in line.items)


def section_lines(
    section: Section, totals: Mapping[str, tuple[int, int]], escape: Callable[[str], str] = lambda t: t, bold: bool = False
) -> list[str]:
    """A section's text: its category's headline, then one line per state."""
    category = section.lines[0].category
    races, states = totals[category]
    head = escape(headline(category, races, states)) + (" (continued)" if section.continued else "")
    return [f"*{head}*" if bold else head, *(line_text(ln, escape, bold) for ln in section.lines)]


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _label(facts: RaceFacts) -> str:
    label = race_office(facts.office, facts.seat, facts.party)
    if facts.county:
        label = f"{facts.county}: {label}"
    if facts.test:
        label = f"TEST {label}"
    return _clip(label, _LABEL_CHARS)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _name(facts: RaceFacts, cid: Any) -> str:
    cand = facts.candidate(str(cid))
    if cand is None:
        return str(cid)
    return surname(cand.name) + (f" ({cand.party})" if cand.party and not cand.pseudo else "")


def _notes(events: Sequence[Event], facts: RaceFacts) -> dict[str, str | None]:
    """Per category of a race's events, the few words the digest says of it."""
    notes: dict[str, list[str]] = {}
    for event in events:
        category = CATEGORY_OF.get(event.kind)
        if category is None:
            continue
        words = notes.setdefault(category, [])
        note = _note(event, facts)
        if note and note not in words:
            words.append(note)
    if "first_votes" in notes and "leads" in notes:  # the first count's leader: said with its first votes
        notes["first_votes"] = notes.pop("leads")
    counties = [e for e in events if CATEGORY_OF.get(e.kind) == "counties"]
    if counties:
        notes["counties"] = [_count(len({e.details.get("unit") for e in counties}), "county")]
    return {cat: (_clip(", ".join(words), _NOTE_CHARS) if words else None) for cat, words in notes.items()}


def _note(event: Event, facts: RaceFacts) -> str | None:
    d, k = event.details, event.kind
    try:
        if k is EventKind.RACE_CALLED:
            return ", ".join(_name(facts, w) for w in d.get("winners") or ())
        if k is EventKind.RUNOFF:
            return "runoff: " + " and ".join(_name(facts, c) for c in d.get("candidates") or ())
        if k is EventKind.SEAT_GAIN:
            return f"{d.get('party')} gain"
        if k is EventKind.LEAD_CHANGE:
            return f"{_name(facts, d['leader'])} overtakes {_name(facts, d['previous_leader'])}"
        if k is EventKind.TAKES_LEAD:
            return f"{_name(facts, d['leader'])} leads"
        if k is EventKind.MILESTONE:
            return f"{d['percent']} % reporting"
        if k is EventKind.STATUS_CHANGED:
            return str(d.get("status"))
        if k is EventKind.FLIP_INDICATION:
            return "flip indicated" if d.get("flips") else "flip indication withdrawn"
        return _ARITHMETIC.get(k)
    except (KeyError, TypeError):  # odd details cost the note, never the race's place in the list
        return None


_ARITHMETIC = {
    EventKind.RUNOFF_HEADED: "headed for a runoff",
    EventKind.RUNOFF_PAIR: "runoff pair settled",
    EventKind.RUNOFF_AVOIDED: "avoids a runoff",
    EventKind.RUNOFF_WITHDRAWN: "runoff withdrawn",
    EventKind.OUT_OF_REACH: "lead out of reach",
}


# --- splitting to Block Kit's measure ---------------------------------------------------------


def slack_escape(text: str) -> str:
    """Slack's escaping (as ``bot.render.slack.escape``): the digest is measured as it is sent."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _measure(lines: Sequence[str]) -> int:
    return len("\n".join(lines))


def _cut(category: str, state: str, items: list[Item]) -> list[Line]:
    """A state's list, cut into lines that each fit a section under its headline."""
    room = SECTION_CHARS - 200  # the headline (at most ~120 characters escaped and bold) and the newline
    out: list[Line] = []
    current: list[Item] = []
    for item in items:
        trial = Line(category, state, tuple([*current, item]), continued=bool(out))
        if current and len(line_text(trial, slack_escape, True)) > room:
            out.append(Line(category, state, tuple(current), continued=bool(out)))
            current = [item]
        else:
            current.append(item)
    if current:
        out.append(Line(category, state, tuple(current), continued=bool(out)))
    return out


def _pack(lines: Sequence[Line], totals: Mapping[str, tuple[int, int]]) -> list[tuple[Section, ...]]:
    """Lines → sections (each of one category, within ``SECTION_CHARS`` as sent) → parts of at
    most ``SECTIONS_PER_PART`` sections. A section that goes on with a category says so."""
    sections: list[Section] = []
    current: list[Line] = []
    continued = False

    def close() -> None:
        sections.append(Section(tuple(current), continued))

    for line in lines:
        if current and current[0].category != line.category:
            close()
            current, continued = [], False
        elif (
            current
            and _measure(section_lines(Section((*current, line), continued), totals, slack_escape, True)) > SECTION_CHARS
        ):
            close()
            current, continued = [], True
        current.append(line)
    if current:
        close()
    return [tuple(sections[i : i + SECTIONS_PER_PART]) for i in range(0, len(sections), SECTIONS_PER_PART)]


__all__ = [
    "ALWAYS_INDIVIDUAL",
    "CATEGORIES",
    "CATEGORY_OF",
    "DIGEST_AFTER_RACES",
    "FOLLOWED_INDIVIDUAL",
    "ROUTINE",
    "ChannelPlan",
    "Digest",
    "Item",
    "Line",
    "Section",
    "build",
    "headline",
    "intro",
    "is_digest",
    "is_routine",
    "line_text",
    "plan",
    "section_lines",
]
