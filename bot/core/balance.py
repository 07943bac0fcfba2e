"""Seat flips and the balance of power: what a call changes beyond the race itself.

``config/seats.toml`` says who holds each seat on the ballot and which seats of each chamber are
not up (see the comments there). From it, pure functions turn calls into context:

* ``gain(race, cfg)``: a call for a candidate of another party than the holder is a gain
  ("Democratic gain, the first since 1992"); ``feed_gain(race)`` is the gain the feed itself
  reports (AP's ``flippedSeat``) for seats the config does not list;
* ``tally(chamber, calls, cfg)``: the chamber after the calls so far, with caucus grouping (King
  and Sanders counted with the Democrats), against the chamber before the election;
* ``describe_tally(t)``: "Republicans 51, Democrats 49 (Jones gain)".

Calls come from the feed only (``Race.winners``), never from the numbers. Gains compare the
parties as the feed spells them (normalized by ``bot.core.parties.normalize_party``), not caucuses:
an independent winning a Democratic seat is an Independent gain even if he caucuses with them.

``parse_trendtable`` reads AP's balance-of-power ``trendtable`` report (numbers as strings) into
the model's ``TrendTable`` (snapshots carry it; ``bot.feeds.ap`` fetches it with the races).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from bot.core.model import Race, TrendParty, TrendTable
from bot.core.names import surname
from bot.core.parties import PARTY_ADJECTIVE, PARTY_PLURAL, normalize_party

log = logging.getLogger(__name__)


class SeatsConfigError(ValueError):
    """config/seats.toml says something the bot cannot use (the message names the key)."""


# --- configuration -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Seat:
    key: str  # "AL-S", "AL-H-7"
    holder: str
    chamber: str | None = None
    last_held_by: Mapping[str, int] = field(default_factory=dict)
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Chamber:
    key: str  # "senate"
    name: str
    not_up: Mapping[str, int]
    caucus: Mapping[str, str] = field(default_factory=dict)  # Ind → Dem
    size: int | None = None

    @property
    def majority(self) -> int | None:
        return self.size // 2 + 1 if self.size else None


@dataclass(frozen=True, slots=True, eq=False)  # identity equality: hashable inside frozen settings
class SeatsConfig:
    seats: Mapping[str, Seat]
    chambers: Mapping[str, Chamber]

    def seat_for(self, race: Race) -> Seat | None:
        key = seat_key(race)
        return self.seats.get(key) if key else None

    def seats_in(self, chamber: str) -> list[Seat]:
        return [s for s in self.seats.values() if s.chamber == chamber]


def seat_key(race: Race) -> str | None:
    """'AL-S' for Alabama's Senate race, 'AL-H-7' for a House district; ``None`` without an
    office id (nothing to look up), or for a county feed's race (one county's share is not the seat)."""
    if not race.office_id or race.county:
        return None
    key = f"{race.state.upper()}-{race.office_id}"
    return f"{key}-{race.seat}" if race.seat else key


def _party(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SeatsConfigError(f"{where}: a party must be a non-empty string, not {value!r}")
    return normalize_party(value) or value


def _counts(value: object, where: str) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise SeatsConfigError(f"{where}: expected a table of party = number")
    out: dict[str, int] = {}
    for party, n in value.items():
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise SeatsConfigError(f"{where}.{party}: expected a non-negative integer, not {n!r}")
        key = _party(party, where)
        out[key] = out.get(key, 0) + n
    return out


def seats_config_from_dict(data: Mapping[str, Any], where: str = "seats") -> SeatsConfig:
    unknown = set(data) - {"seats", "chambers"}
    if unknown:
        raise SeatsConfigError(f"{where}: unknown table(s) {', '.join(sorted(unknown))}")
    chambers: dict[str, Chamber] = {}
    for key, raw in (data.get("chambers") or {}).items():
        here = f"{where}: chambers.{key}"
        if not isinstance(raw, Mapping) or "not_up" not in raw:
            raise SeatsConfigError(f"{here}: needs not_up = {{ party = seats, … }}")
        caucus_raw = raw.get("caucus") or {}
        if not isinstance(caucus_raw, Mapping):
            raise SeatsConfigError(f"{here}.caucus: expected a table of party = party")
        size = raw.get("size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size <= 0):
            raise SeatsConfigError(f"{here}.size: expected a positive integer, not {size!r}")
        chambers[key] = Chamber(
            key=key,
            name=str(raw.get("name") or key.capitalize()),
            not_up=MappingProxyType(_counts(raw["not_up"], f"{here}.not_up")),
            caucus=MappingProxyType(
                {_party(k, f"{here}.caucus"): _party(v, f"{here}.caucus.{k}") for k, v in caucus_raw.items()}
            ),
            size=size,
        )
    seats: dict[str, Seat] = {}
    for key, raw in (data.get("seats") or {}).items():
        here = f"{where}: seats.{key}"
        if not isinstance(raw, Mapping) or "holder" not in raw:
            raise SeatsConfigError(f'{here}: needs holder = "Dem" | "GOP" | …')
        chamber = raw.get("chamber")
        if chamber is not None and chamber not in chambers:
            raise SeatsConfigError(f"{here}.chamber: no [chambers.{chamber}]")
        years = _counts(raw.get("last_held_by") or {}, f"{here}.last_held_by")
        norm_key = key.upper()
        if norm_key in seats:
            raise SeatsConfigError(f"{here}: seat listed twice")
        seats[norm_key] = Seat(
            key=norm_key,
            holder=_party(raw["holder"], f"{here}.holder"),
            chamber=chamber,
            last_held_by=MappingProxyType(years),
            note=raw.get("note"),
        )
    for ch in chambers.values():
        if ch.size is not None:
            counted = sum(ch.not_up.values()) + len([s for s in seats.values() if s.chamber == ch.key])
            if counted > ch.size:
                raise SeatsConfigError(
                    f"{where}: chambers.{ch.key}: {counted} seats (not up + on the ballot) exceed size {ch.size}"
                )
    return SeatsConfig(MappingProxyType(seats), MappingProxyType(chambers))


# --- gains ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gain:
    party: str  # the winner's
    previous: str | None  # the holder's; None when only the feed's flippedSeat says it changed hands
    state: str
    office: str
    seat_key: str
    winner: str  # the winner's name as the feed gives it
    since: int | None = None  # the year the party last held it, if configured

    @property
    def since_text(self) -> str | None:
        """'the first since 1992'."""
        return f"the first since {self.since}" if self.since is not None else None

    @property
    def short(self) -> str:
        """'Jones gain'."""
        return f"{surname(self.winner)} gain"

    def text(self) -> str:
        """'Democratic gain from the Republicans, the first since 1992'; parts not known are left
        out rather than guessed ('Democratic gain')."""
        adj = PARTY_ADJECTIVE.get(self.party, self.party)
        prev = f" from the {PARTY_PLURAL.get(self.previous, self.previous)}" if self.previous else ""
        return f"{adj} gain{prev}" + (f", {self.since_text}" if self.since_text else "")


def single_winner(race: Race) -> tuple[str, str | None] | None:
    """(name, party) of the race's single winner, or ``None``."""
    if len(race.winners) != 1:
        return None
    cand = race.candidate(race.winners[0])
    if cand is None:
        return None
    return cand.name, normalize_party(cand.party)


def gain(race: Race, seats_config: SeatsConfig, party: str | None = None) -> Gain | None:
    """The gain a call makes, or ``None``: no single winner, the seat is not configured, or the
    winner's party holds it already. ``party`` overrides the winner's party from the feed."""
    seat = seats_config.seat_for(race)
    if seat is None:
        log.debug("no seat configured for %s (key %s)", race.key, seat_key(race))
        return None
    won = single_winner(race)
    winner_name = won[0] if won else ""
    winner_party = normalize_party(party) if party else (won[1] if won else None)
    if winner_party is None or winner_party == seat.holder:
        return None
    return Gain(
        party=winner_party,
        previous=seat.holder,
        state=race.state,
        office=race.office,
        seat_key=seat.key,
        winner=winner_name or PARTY_ADJECTIVE.get(winner_party, winner_party),
        since=seat.last_held_by.get(winner_party),
    )


def feed_gain(race: Race) -> Gain | None:
    """The gain the feed reports (AP's ``flippedSeat``) for a race with a single winner whose
    party is known. The feed does not say who held the seat or since when, so neither is
    invented: ``previous`` and ``since`` stay unknown."""
    if race.flipped_seat is not True:
        return None
    won = single_winner(race)
    if won is None or won[1] is None:
        return None
    return Gain(
        party=won[1], previous=None, state=race.state, office=race.office, seat_key=seat_key(race) or race.key, winner=won[0]
    )


# --- the tally -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tally:
    chamber: str
    name: str
    seats: Mapping[str, int]  # by party as elected (Ind apart), not up + called
    caucus: Mapping[str, str]
    before: Mapping[str, int]  # by party as elected: not up + the holders of the seats on the ballot
    undecided: int  # configured seats on the ballot not called yet
    gains: tuple[Gain, ...] = ()
    majority: int | None = None

    @property
    def grouped(self) -> dict[str, int]:
        """Seats by caucus (Independents counted with the party they caucus with)."""
        return _group(self.seats, self.caucus)

    @property
    def grouped_before(self) -> dict[str, int]:
        return _group(self.before, self.caucus)


def _group(counts: Mapping[str, int], caucus: Mapping[str, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for party, n in counts.items():
        key = caucus.get(party, party)
        out[key] = out.get(key, 0) + n
    return out


def tally(chamber: str, calls: Iterable[tuple[Race, str]], seats_config: SeatsConfig) -> Tally:
    """The chamber after ``calls`` (``(race, winner party)`` pairs, in the order made; a later
    call for the same seat replaces an earlier one). Calls for seats not configured in this
    chamber are ignored (logged once each at debug)."""
    ch = seats_config.chambers.get(chamber)
    if ch is None:
        raise SeatsConfigError(f"no [chambers.{chamber}] in the seats config")
    on_ballot = {s.key: s for s in seats_config.seats_in(chamber)}
    won: dict[str, tuple[Race, str]] = {}
    for race, party in calls:
        key = seat_key(race)
        if key not in on_ballot:
            log.debug("call in %s ignored for the %s tally: seat %s not configured there", race.key, chamber, key)
            continue
        won[key] = (race, normalize_party(party) or party)
    seats = dict(ch.not_up)
    before = dict(ch.not_up)
    gains = []
    for key, seat in on_ballot.items():
        before[seat.holder] = before.get(seat.holder, 0) + 1
        if key in won:
            race, party = won[key]
            seats[party] = seats.get(party, 0) + 1
            g = gain(race, seats_config, party)
            if g is not None:
                gains.append(g)
    return Tally(
        chamber=chamber,
        name=ch.name,
        seats=MappingProxyType(seats),
        caucus=ch.caucus,
        before=MappingProxyType(before),
        undecided=len(on_ballot) - len(won),
        gains=tuple(gains),
        majority=ch.majority,
    )


def _order(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(((p, n) for p, n in counts.items() if n), key=lambda pn: (-pn[1], pn[0]))


def describe_tally(t: Tally, with_before: bool = False) -> str:
    """'Republicans 51, Democrats 49 (Jones gain)'; with ``with_before``: '… ; was 52–48'."""
    grouped = _order(t.grouped)
    text = ", ".join(f"{PARTY_PLURAL.get(p, p)} {n}" for p, n in grouped)
    if t.undecided:
        text += f", {t.undecided} undecided"
    notes = [g.short for g in t.gains]
    if with_before:
        was = _order(t.grouped_before)
        if was != grouped or t.undecided:
            notes.append("was " + "–".join(str(n) for _, n in was))
    return text + (f" ({'; '.join(notes)})" if notes else "")


# --- integer facts for events ----------------------------------------------------------------


def gain_facts(g: Gain) -> dict[str, object]:
    return {
        "party": g.party,
        "previous": g.previous,
        "state": g.state,
        "office": g.office,
        "seat_key": g.seat_key,
        "winner": g.winner,
        "since": g.since,
    }


def gain_from_facts(d: Mapping[str, Any]) -> Gain:
    return Gain(
        party=d["party"],
        previous=d.get("previous"),
        state=d["state"],
        office=d["office"],
        seat_key=d["seat_key"],
        winner=d["winner"],
        since=d.get("since"),
    )


def tally_facts(t: Tally) -> dict[str, object]:
    """A tally as JSON-able data for an event's details (``tally_from_facts`` reverses it)."""
    return {
        "chamber": t.chamber,
        "name": t.name,
        "seats": dict(t.seats),
        "caucus": dict(t.caucus),
        "before": dict(t.before),
        "undecided": t.undecided,
        "gains": [gain_facts(g) for g in t.gains],
        "majority": t.majority,
    }


def tally_from_facts(d: Mapping[str, Any]) -> Tally:
    return Tally(
        chamber=d["chamber"],
        name=d["name"],
        seats=MappingProxyType(dict(d["seats"])),
        caucus=MappingProxyType(dict(d.get("caucus") or {})),
        before=MappingProxyType(dict(d["before"])),
        undecided=int(d.get("undecided", 0)),
        gains=tuple(gain_from_facts(g) for g in d.get("gains") or ()),
        majority=d.get("majority"),
    )


# --- AP trendtable (read by bot.feeds.ap.trendtable) -----------------------------------------


TRENDTABLE_CHAMBERS = {"S": "senate", "H": "house"}


def trendtable_chamber(tt: TrendTable) -> str | None:
    """'senate' for AP's U.S. Senate report. The office name decides only when the code is
    missing (a hand-made report): a code AP did not use for either chamber is not guessed."""
    if tt.office_type:
        return TRENDTABLE_CHAMBERS.get(tt.office_type.strip().upper())
    words = tt.office.lower()
    return next((key for key in TRENDTABLE_CHAMBERS.values() if key in words), None)


def latest_trendtables(tables: Iterable[TrendTable]) -> dict[str, TrendTable]:
    """One report per chamber, the newest by its own timestamp (two feeds may carry one each;
    a report without a time loses to one with a time)."""
    out: dict[str, TrendTable] = {}
    for tt in tables:
        chamber = trendtable_chamber(tt)
        if chamber is None:
            continue
        held = out.get(chamber)
        if held is None or _stamp(tt) > _stamp(held):
            out[chamber] = tt
    return out


def _stamp(tt: TrendTable) -> float:
    return tt.timestamp.timestamp() if tt.timestamp is not None else float("-inf")


def describe_trendtable(tt: TrendTable) -> str:
    """'U.S. Senate: Democrats 53 (23 won, 0 leading, 30 holdovers, net +2), Republicans 45 (…), …'."""
    parts = []
    for p in sorted(tt.parties, key=lambda p: (-(p.seats + p.leading), p.party)):
        detail = f"{p.won} won, {p.leading} leading, {p.holdovers} holdovers, net {p.net_winners:+d}".replace("-", "−")
        parts.append(f"{PARTY_PLURAL.get(p.party, p.party)} {p.seats + p.leading} ({detail})")
    return f"{tt.office}: " + ", ".join(parts)


__all__ = [
    "Chamber",
    "Gain",
    "Seat",
    "SeatsConfig",
    "SeatsConfigError",
    "TRENDTABLE_CHAMBERS",
    "Tally",
    "TrendParty",
    "TrendTable",
    "describe_tally",
    "describe_trendtable",
    "feed_gain",
    "gain",
    "latest_trendtables",
    "seat_key",
    "seats_config_from_dict",
    "tally",
    "trendtable_chamber",
    "gain_facts",
    "gain_from_facts",
    "tally_facts",
    "tally_from_facts",
]
