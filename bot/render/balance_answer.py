"""What ``/results balance`` says: each chamber's tally from the calls and the seats config,
beside AP's own count when a feed carries its trendtable report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.answer import Answer, Line, line, strong
from bot.core.balance import describe_tally, describe_trendtable, latest_trendtables
from bot.core.commands import OFFICE_NAMES, Command
from bot.core.context import chamber_tally
from bot.core.model import Race, Snapshot, TrendTable
from bot.core.parties import PARTY_PLURAL
from bot.core.rules import RuleSettings
from bot.render.answer_parts import all_races, as_of, note, plain_title
from bot.render.text import clock_text, on_clock, short_name


def balance_answer(cmd: Command, snapshots: Sequence[Snapshot], rules: RuleSettings) -> Answer:
    """'Senate: Republicans 51, Democrats 49 (Jones gain)' from the calls in the stored snapshots
    and the seats config, next to AP's own count when a feed carries its trendtable report (or
    AP's count alone when no seats are configured: the desk still gets AP's figure)."""
    seats = rules.context.seats
    configured = dict(seats.chambers) if seats is not None else {}
    reports = latest_trendtables(t for snap in snapshots for t in snap.balance)
    if not configured and not reports:
        return note(
            "No balance of power: no seats are configured (config [context] seats) and no feed carries an AP trendtable report."
        )
    chambers = [cmd.office] if cmd.office else sorted(set(configured) | set(reports))
    missing = next((c for c in chambers if c not in configured and c not in reports), None)
    if missing is not None:
        return note(_no_balance_for(missing, configured, reports))
    races = {race.key: race for _, race in all_races(snapshots)}
    lines: list[Line] = []
    for chamber in chambers:
        lines += _tally_lines(chamber, races, rules)
        if chamber in reports:
            lines.append(_trendtable_line(reports[chamber]))
    title = "Balance of power" if len(chambers) > 1 else f"{_chamber_name(chambers[0], configured)}: balance of power"
    return Answer(
        kind="list", title=title, lines=tuple(lines), footer=as_of(list(all_races(snapshots))), query=cmd.canonical
    )


def _no_balance_for(chamber: str, configured: Mapping[str, Any], reports: Mapping[str, TrendTable]) -> str:
    """Why one chamber has no answer, and which chambers do."""
    name = OFFICE_NAMES.get(chamber, chamber)
    if not configured:
        return f"No {name} balance of power: no seats are configured and no feed carries AP's trendtable for it; AP trendtables: {', '.join(sorted(reports))}."
    note = f"No {name} seats are configured; configured: {', '.join(sorted(configured))}."
    return note + (f" AP trendtables: {', '.join(sorted(reports))}." if reports else "")


def _chamber_name(chamber: str, configured: Mapping[str, Any]) -> str:
    return configured[chamber].name if chamber in configured else OFFICE_NAMES.get(chamber, chamber.capitalize())


def _tally_lines(chamber: str, races: Mapping[str, Race], rules: RuleSettings) -> list[Line]:
    """The computed tally and each seat on the ballot; nothing for a chamber not configured."""
    seats = rules.context.seats
    if seats is None or chamber not in seats.chambers:
        return []
    t = chamber_tally(races.values(), chamber, rules.context)
    if t is None:
        return []
    majority = f" · majority {t.majority}" if t.majority else ""
    lines = [line(strong(t.name), f": {describe_tally(t)}{majority}")]
    for seat in seats.seats_in(chamber):
        race = next((r for r in races.values() if seats.seat_for(r) is seat), None)
        lines.append(line(f"• {_seat_line(seat, race)}"))
    return lines


def _trendtable_line(tt: TrendTable) -> Line:
    """AP's count as AP reports it, with the report's own time: it is AP's figure at that
    moment, which may lag (or lead) the calls the bot has seen."""
    test = " (TEST DATA)" if tt.test else ""
    return line(strong("AP"), f"{test}: {describe_trendtable(tt)} · {_report_time(tt.timestamp)}")


#: AP's balance-of-power reports are national: their time is told in Eastern time, as AP does.
_REPORT_ZONE = ZoneInfo("America/New_York")


def _report_time(moment: datetime | None) -> str:
    """'AP's report of 10:59 a.m. EST on Thursday, November 29, 2012'."""
    if moment is None:
        return "AP's report gives no time"
    day = on_clock(moment, _REPORT_ZONE).strftime("%A, %B %-d, %Y")
    return f"AP's report of {clock_text(moment, _REPORT_ZONE)} on {day}"


def _seat_line(seat: Any, race: Race | None) -> str:
    holder = f"held by the {PARTY_PLURAL.get(seat.holder, seat.holder)}"
    if race is None:
        return f"{seat.key}: not in the feeds I follow ({holder})"
    label = plain_title(race)
    if len(race.winners) == 1 and (cand := race.candidate(race.winners[0])) is not None:
        return f"{label}: called for {short_name(cand.name)}" + (f" ({cand.party})" if cand.party else "") + f"; {holder}"
    return f"{label}: not called ({holder})"
