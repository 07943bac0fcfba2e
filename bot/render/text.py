"""Plain-text rendering: the console sink, and the fallback ``text`` of every Slack message."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.balance import describe_tally, tally_from_facts
from bot.core.context import flip_from_facts
from bot.core.counties import county_place
from bot.core.events import Alert, Event, EventKind, RaceFacts, Severity
from bot.core.margins import EstimateMethod, VotesLeft, expected_share, recount_line
from bot.core.names import surname
from bot.core.offices import race_office
from bot.core.parties import PARTY_PLURAL
from bot.core.runoffs import threshold_words
from bot.core.states import lookup, state_name
from bot.render.numbers import percent, points, signed, votes
from bot.render.swing import county_swing_text, flip_text

UTC = ZoneInfo("UTC")


def race_title(facts: RaceFacts) -> str:
    return race_heading(facts.state, facts.office, facts.seat, facts.party, facts.county)


def race_heading(
    state: str, office: str, seat: str | None = None, party: str | None = None, county: str | None = None
) -> str:
    """'Alabama U.S. Senate'; a primary says whose ('Rhode Island Republican primary for
    President'); a county feed's race is the county's ('Gwinnett County, Ga.: President')."""
    label = race_office(office, seat, party)
    if county:
        return f"{county_place(county, state)}: {label}"
    return f"{state_name(state)} {label}"


def candidate_label(name: str, party: str | None) -> str:
    return f"{name} ({party})" if party else name


short_name = surname  # the name the renderers use; see bot.core.names


def standings_line(facts: RaceFacts) -> str:
    return " · ".join(
        f"{short_name(c.name) if not c.pseudo else c.name} {votes(c.votes)} ({percent(facts.share(c.votes))} %)"
        for c in facts.candidates
    )


def lead_line(facts: RaceFacts) -> str:
    leader = facts.leader
    if facts.uncontested:
        winners = [short_name(c.name) for c in facts.candidates if c.winner]
        lead = "Uncontested" + (f": {', '.join(winners)} wins (call from the feed)" if winners else "")
    elif facts.total_votes == 0:
        lead = "No votes counted yet"
    elif leader is None:
        lead = f"Tied at {votes(facts.candidates[0].votes)} votes each"
    else:
        lead = f"{short_name(leader.name)} leads by {votes(facts.lead_votes)} votes ({points(facts.share(facts.lead_votes))} points)"
    return f"{lead} · {reporting_text(facts)}"


def reporting_text(facts: RaceFacts) -> str:
    parts = []
    if facts.precincts_total:
        share = Fraction(facts.precincts_reporting or 0, facts.precincts_total)
        parts.append(
            f"{votes(facts.precincts_reporting or 0)} of {votes(facts.precincts_total)} precincts ({percent(share)} %)"
        )
    eevp = expected_share(facts.expected_vote_pct)
    if eevp is not None:
        parts.append(f"{percent(eevp)} % of expected vote")
    return " · ".join(parts) or "reporting unknown"


def recount_text(facts: RaceFacts, votes_to_line: int | None = None) -> str | None:
    threshold = facts.threshold
    if threshold is None or facts.total_votes == 0 or facts.uncontested:
        return None
    pos = recount_line(facts.lead_votes, facts.total_votes, threshold)
    assert pos is not None  # total_votes > 0
    to_line = votes_to_line if votes_to_line is not None else pos.votes_to_line
    law = f" ({facts.recount_citation})" if facts.recount_citation else ""
    if pos.inside:
        return f"Margin {points(facts.share(facts.lead_votes))} % is inside the {percent(threshold)} % automatic-recount line{law}; {votes(to_line)} more votes of lead would clear it"
    return f"Margin is {votes(to_line)} votes above the {percent(threshold)} % automatic-recount line{law}"


def votes_left_basis(left: VotesLeft) -> str:
    """How the votes-left figure was made, as the line under it says: 'estimate from 2016 turnout
    in 12 counties fully in, 420,000–560,000'."""
    if left.method is EstimateMethod.FEED:
        basis = "estimate from the feed's expected vote"
    elif left.method is EstimateMethod.BASELINE:
        counties = f"{left.counties_in:,} count{'y' if left.counties_in == 1 else 'ies'} fully in"
        basis = f"estimate from {left.label or 'baseline'} turnout in {counties}"
        if left.low is not None and left.high is not None and left.low != left.high:
            basis += f", {votes(left.low)}–{votes(left.high)}"
    elif left.method is EstimateMethod.PRECINCTS:
        basis = "estimate from votes per reported precinct"
    else:
        basis = "estimate"
    if left.capped and left.ceiling is not None:
        basis += f"; capped at an expected {votes(left.ceiling)} votes"
    return basis


def clock_text(moment: datetime, tz: tzinfo) -> str:
    """'10:39 p.m. CST': a moment on the clock of ``tz``, as the wire writes it."""
    return on_clock(moment, tz).strftime("%-I:%M %p %Z").replace("AM", "a.m.").replace("PM", "p.m.")


def on_clock(moment: datetime, tz: tzinfo) -> datetime:
    """``moment`` on the clock of ``tz``, or as it is when that clock cannot hold it: a feed's
    placeholder time (0001-01-01T00:00Z, .NET's DateTime.MinValue) is in year 0 on every US
    clock, and one odd time must not make every alert and answer of the feed unsendable."""
    try:
        return moment.astimezone(tz)
    except OverflowError:
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def local_time(iso: str | None, state: str) -> str:
    if not iso:
        return ""
    st = lookup(state)
    return clock_text(datetime.fromisoformat(iso), st.tz if st else UTC)


def event_line(event: Event, facts: RaceFacts | None) -> str:
    d = event.details
    name: Callable[[Any], str] = (lambda cid: _name(facts, cid)) if facts else (lambda cid: str(cid))
    k = event.kind
    if k is EventKind.FIRST_VOTES:
        return "First votes are in"
    if k is EventKind.TAKES_LEAD:
        return f"{name(d['leader'])} takes the lead"
    if k is EventKind.LEAD_CHANGE:
        return f"LEAD CHANGE: {name(d['leader'])} overtakes {name(d['previous_leader'])}"
    if k is EventKind.RECOUNT_ENTERED:
        law = f" ({d['citation']})" if d.get("citation") else ""
        waiver = "; the apparently defeated candidate may waive it" if d.get("waivable", True) else ""
        return f"Recount territory: the margin is now within the automatic-recount line{law}, {votes(d['votes_to_line'])} votes inside it{waiver}"
    if k is EventKind.RECOUNT_LEFT:
        return f"Out of recount territory: the margin is {votes(d['votes_to_line'])} votes beyond the automatic-recount line"
    if k is EventKind.WRITE_INS_EXCEED_MARGIN:
        return f"Write-ins ({votes(d['unresolved_votes'])}) exceed the margin ({votes(d['lead_votes'])}): counties must tally the write-in names"
    if k is EventKind.OUT_OF_REACH:
        basis = {"feed": " (the feed's expected vote)", "baseline": " (from baseline turnout)"}.get(str(d.get("method")), "")
        return f"{name(d['trailer'])} cannot catch up on the estimated {votes(d['outstanding'])} votes left{basis}: the lead is larger (arithmetic, not a call)"
    if k is EventKind.RACE_CALLED:
        if facts is not None and facts.runoff_rule and facts.runoff_rule.get("format") == "top_two":
            return f"ADVANCE: {' and '.join(name(w) for w in d['winners'])} advance to the general election (call from the feed; no one wins a top-two primary)"
        return f"RACE CALLED: {', '.join(name(w) for w in d['winners'])} wins (call from the feed)"
    if k is EventKind.RACE_UNCALLED:
        previous = list(d.get("previous_winners") or []) + list(d.get("previous_runoff") or [])
        named = d.get("names") or {}  # the event's own names: the facts may lack a withdrawn winner
        who = [name(w) if facts and facts.candidate(w) else str(named.get(w) or w) for w in previous]
        return f"CALL WITHDRAWN: the feed no longer calls this race for {', '.join(who)}"
    if k is EventKind.RUNOFF:
        return f"RUNOFF: {' and '.join(name(c) for c in d['candidates'])} advance to a runoff"
    if k in (EventKind.RUNOFF_HEADED, EventKind.RUNOFF_PAIR, EventKind.RUNOFF_AVOIDED, EventKind.RUNOFF_WITHDRAWN):
        return runoff_line(event, facts, name)
    if k is EventKind.STATUS_CHANGED:
        return f"Status: {d['status']}" + (f" (was {d['previous']})" if d.get("previous") else "")
    if k is EventKind.MILESTONE:
        return f"{d['percent']} % reporting"
    if k is EventKind.ALL_REPORTING:
        return "All precincts reporting" if facts is None or facts.precincts_total else "All expected votes counted"
    if k is EventKind.SEAT_GAIN:
        return gain_line(d)
    if k is EventKind.BALANCE_OF_POWER:
        t = tally_from_facts(d["tally"])
        return f"{t.name}: {describe_tally(t, with_before=True)}"
    if k is EventKind.FLIP_INDICATION:
        head = "FLIP INDICATED" if d.get("flips") else "Flip indication withdrawn"
        return f"{head}. {flip_text(flip_from_facts(d))}"
    if k is EventKind.COUNTY_COMPLETE:
        if swing := _swing(facts, d):
            return f"{d['unit']}, all precincts in: {swing} — " + _split(facts, d["votes"])
        return f"{d['unit']}: all precincts in — " + _split(facts, d["votes"])
    if k is EventKind.COUNTY_BATCH:
        line = f"{d['unit']}: {signed(d['added'])} votes — " + _net(facts, d["deltas"])
        swing = _swing(facts, d)
        return f"{line}; so far {swing}" if swing else line
    if k is EventKind.CORRECTION:
        return f"Correction in {d['unit']}: " + ", ".join(
            f"{short_name(_plain(facts, c))} {signed(n)}" for c, n in sorted(d["deltas"].items()) if n
        )
    if k is EventKind.FEED_FAILING:
        return f"Feed {event.feed!r} is failing ({d['failures']} errors in a row): {d['error']}"
    if k is EventKind.FEED_RECOVERED:
        return f"Feed {event.feed!r} recovered after {d['failures']} failed polls"
    if k is EventKind.FEED_STALE:
        return f"Feed {event.feed!r} has not changed for {d['minutes']} minutes"
    return k.value


def runoff_line(event: Event, facts: RaceFacts | None, name: Callable[[str], str]) -> str:
    """Our runoff reckoning in words; always says it is the count's arithmetic, not a call."""
    d, k = event.details, event.kind
    law = f" ({d['citation']})" if d.get("citation") else ""
    if k is EventKind.RUNOFF_WITHDRAWN:
        return "Runoff withdrawn: the feed no longer has this race in a runoff, so neither do we"
    if k is EventKind.RUNOFF_PAIR:
        who = " and ".join(name(c) for c in d["candidates"])
        if d.get("format") == "top_two":
            return f"ADVANCE: {who} advance to the general election{law}: no one else can reach the top {d.get('advance', 2)} (by the count, not a call; no one wins a top-two primary)"
        pair = " vs ".join(name(c) for c in d["candidates"])
        ask = " if the runner-up asks for it" if d.get("requested") else ""
        return f"RUNOFF: {pair}{ask}: no one else can reach the top two (by the count, not a call)"
    line = threshold_words(d)
    leader = name(d["leader"])
    share = percent(Fraction(d["leader_votes"], d["total_votes"])) if d.get("total_votes") else "0.00"
    left = d.get("outstanding")
    basis = "with every vote counted" if not left else f"even with all of the estimated {votes(left)} votes left"
    if k is EventKind.RUNOFF_HEADED:
        then = (
            "a second primary is possible if the runner-up asks for one" if d.get("requested") else "the top two meet again"
        )
        return f"HEADED FOR A RUNOFF: no candidate can reach {line}{law} {basis}; {then}. {leader} leads with {share} % (arithmetic, not a call)"
    if left:
        return f"AVOIDS A RUNOFF: {leader} has {share} %, above {line}{law} even if all of the estimated {votes(left)} votes left went to the others (arithmetic, not a call)"
    return f"AVOIDS A RUNOFF: {leader} has {share} %, above {line}{law} with every vote counted (arithmetic, not a call)"


def runoff_text(facts: RaceFacts) -> str | None:
    """The threshold line of /results and the cards, like the recount line."""
    rule = facts.runoff_rule
    if not rule or facts.total_votes == 0 or facts.uncontested:
        return None
    law = f" ({rule['citation']})" if rule.get("citation") else ""
    if rule.get("format") == "top_two":
        return f"Top-{'two' if rule.get('advance', 2) == 2 else rule.get('advance')} primary{law}: the top {rule.get('advance', 2)} advance; no one wins it"
    leader = next((c for c in facts.candidates if not c.pseudo), None)
    if leader is None:
        return None
    t = Fraction(str(rule["threshold"]))
    clears = leader.votes >= t * facts.total_votes if rule.get("inclusive") else leader.votes > t * facts.total_votes
    where = "above it" if clears else "below it"
    ask = "; the runner-up may ask for a second primary" if rule.get("requested") and not clears else ""
    return f"Runoff line: {threshold_words(rule)} of all votes{law}; {short_name(leader.name)} has {percent(facts.share(leader.votes))} %, {where}{ask}"


def gain_line(d: Mapping[str, Any]) -> str:
    """'GAIN: Democrats gain an Alabama Senate seat from the Republicans, the first since 1992'.
    A gain known only from the feed's flippedSeat has no holder or year: those parts are left
    out ('GAIN: Democrats gain an Alabama Senate seat') rather than guessed."""
    party = PARTY_PLURAL.get(d["party"], d["party"])
    held = d.get("previous")
    previous = f" from the {PARTY_PLURAL.get(held, held)}" if held else ""
    place = f"{state_name(d['state'])} {str(d['office']).removeprefix('U.S. ').removesuffix(' (special)')}"
    article = "an" if place[:1].lower() in "aeiou" else "a"
    since = f", the first since {d['since']}" if d.get("since") else ""
    return f"GAIN: {party} gain {article} {place} seat{previous}{since}"


def _swing(facts: RaceFacts | None, d: Mapping[str, Any]) -> str | None:
    """A county's swing from the event's own facts, or ``None`` (no baseline, no match)."""
    swing, unit_votes = d.get("swing"), d.get("votes")
    if not swing or not unit_votes:
        return None
    names = {c.id: short_name(c.name) for c in facts.candidates} if facts else {}
    return county_swing_text(unit_votes, swing, names)


def _name(facts: RaceFacts | None, cid: str) -> str:
    cand = facts.candidate(cid) if facts else None
    return candidate_label(cand.name, cand.party) if cand else str(cid)


def _split(facts: RaceFacts | None, unit_votes: dict[str, int]) -> str:
    total = sum(unit_votes.values())
    ordered = sorted(unit_votes.items(), key=lambda kv: -kv[1])
    return ", ".join(
        f"{short_name(_plain(facts, cid))} {votes(n)} ({percent(Fraction(n, total) if total else Fraction(0))} %)"
        for cid, n in ordered
    )


def _net(facts: RaceFacts | None, deltas: dict[str, int]) -> str:
    named = [(cid, n) for cid, n in deltas.items() if not (facts and (c := facts.candidate(cid)) and c.pseudo)]
    ordered = sorted(named, key=lambda kv: -kv[1])
    if len(ordered) < 2:
        return ", ".join(f"{short_name(_plain(facts, c))} {signed(n)}" for c, n in ordered)
    (a, na), (_, nb) = ordered[0], ordered[1]
    return f"{short_name(_plain(facts, a))} net {signed(na - nb)}"


def _plain(facts: RaceFacts | None, cid: str) -> str:
    cand = facts.candidate(cid) if facts else None
    return cand.name if cand else cid


def alert_text(alert: Alert) -> str:
    """The whole alert as plain text: what the console prints and Slack's notification shows."""
    facts = alert.facts
    # test data says so in its first word, whichever of the two carries the flag
    head = "TEST — " if alert.test or (facts is not None and facts.test) else ""
    title = race_title(facts) if facts else f"Feed {alert.feed}"
    lines = [f"{head}{title}: " + event_line(alert.events[0], facts)]
    lines += [f"  • {event_line(e, facts)}" for e in alert.events[1:]]
    if facts:
        lines.append(f"  {standings_line(facts)}")
        lines.append(f"  {lead_line(facts)}")
        if recount := recount_text(facts):
            lines.append(f"  {recount}")
        if runoff := runoff_text(facts):
            lines.append(f"  {runoff}")
        if facts.updated_at:
            lines.append(f"  as of {local_time(facts.updated_at, facts.state)}")
    return "\n".join(lines)


def race_card_text(facts: RaceFacts) -> str:
    head = "TEST — " if facts.test else ""
    lines = [f"{head}{race_title(facts)}", standings_line(facts), lead_line(facts)]
    if facts.call_status == "called":
        winners = [c for c in facts.candidates if c.winner]
        lines.append("Called for " + ", ".join(candidate_label(c.name, c.party) for c in winners))
    elif facts.race_call_status:
        lines.append(f"Status: {facts.race_call_status}")
    else:
        lines.append("Not called")
    if recount := recount_text(facts):
        lines.append(recount)
    if runoff := runoff_text(facts):
        lines.append(runoff)
    if facts.updated_at:
        lines.append(f"Last updated {local_time(facts.updated_at, facts.state)}")
    return "\n".join(lines)


# --- the catch-up summary after a long outage (words; each platform adds its markup) ----------

CATCH_UP_MINOR = "{n} other updates (counties, milestones, recount math)"


@dataclass(frozen=True, slots=True)
class CatchUpRace:
    """One race in a catch-up: its title, the calls and lead changes verbatim with their local
    time, how many lesser updates were folded, and its latest numbers."""

    title: str
    test: bool
    #: (the event's line, its local time or "")
    moments: tuple[tuple[str, str], ...]
    minor: int
    standings: str | None
    lead: str | None


def catch_up_intro(count: int, held_minutes: int) -> str:
    return f"Catching up: {count} updates were held back for {held_minutes} min or more by a delivery outage. The important ones:"


def catch_up_races(alerts: Sequence[Alert]) -> list[CatchUpRace]:
    """Alerts too old to replay one by one, grouped by race in first-seen order: the same words
    for Slack, Discord and the console."""
    by_race: dict[str, list[Alert]] = {}
    for alert in alerts:
        by_race.setdefault(alert.race_key or f"feed:{alert.feed}", []).append(alert)
    races: list[CatchUpRace] = []
    for group in by_race.values():
        latest = group[-1]
        facts = latest.facts
        moments: list[tuple[str, str]] = []
        minor = 0
        for alert in group:
            for event in alert.events:
                if event.severity >= Severity.LEAD:
                    when = local_time(alert.at, facts.state) if facts else ""
                    moments.append((event_line(event, alert.facts), when))
                else:
                    minor += 1
        races.append(
            CatchUpRace(
                race_title(facts) if facts else f"Feed {latest.feed}",
                latest.test,
                tuple(moments),
                minor,
                standings_line(facts) if facts else None,
                lead_line(facts) if facts else None,
            )
        )
    return races
