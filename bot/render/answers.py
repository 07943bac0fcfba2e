"""What ``/results`` says, as a pure function of the parsed command and the stored snapshots.

Kept out of the handler so the CLI demo prints exactly what Slack users see, and so tests can
check the words without a Slack request. Numbers come from the same code as the alerts
(``bot.core.rules.race_facts`` → ``bot.render``): thousands separators, two-decimal shares rounded
half up as the Secretary of State prints them, times in the state's zone. User text goes back
only through ``bot.core.commands.echo`` (cleaned, clipped), as a plain span: each platform's
renderer escapes it with everything else.

The answer is data (``bot.core.answer``): emphasis is a span's ``Emphasis``, never a platform's
markup. Slack's Block Kit is ``bot.render.slack_answers``, Discord's embeds
``bot.render.discord_answers``, the console's text ``bot.render.text_answers``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import counties, offices
from bot.core.answer import Answer, AnswerKind, Line, Span, code, line, strong
from bot.core.balance import describe_tally, describe_trendtable, latest_trendtables
from bot.core.commands import MAX_INPUT, OFFICE_NAMES, Command, fold, parse, state_of
from bot.core.context import chamber_tally, unit_swing_facts
from bot.core.events import RaceFacts, facts_of
from bot.core.margins import Hurdle, estimate_votes_left, hurdle, standing
from bot.core.model import Level, Race, Snapshot, TrendTable
from bot.core.parties import PARTY_PLURAL
from bot.core.rules import RuleSettings, race_facts, votes_left
from bot.core.states import state_name
from bot.core.swing import race_swing
from bot.render.numbers import percent, points, votes
from bot.render.swing import county_swing_text, margin_text, points_text, results_swing_lines
from bot.render.text import clock_text, lead_line, local_time, race_title, short_name, standings_line, votes_left_basis

__all__ = [
    "MAX_INPUT",
    "answer",
    "answer_command",
    "margin_lines",
    "races_in",
    "tracked_states",
]

MAX_LIST = 15

LEVEL_MEANING = {
    "quiet": "leads and calls only",
    "cards": "race news: leads, calls, recount line and reporting milestones (no county batches or feed notices)",
    "all": "everything: race news, county batches and feed notices",
}


def tracked_states(snapshots: Sequence[Snapshot]) -> list[str]:
    return sorted({race.state for snap in snapshots for race in snap.races.values()})


def races_in(snapshots: Sequence[Snapshot], state: str) -> list[tuple[Snapshot, Race]]:
    return [(snap, race) for snap in snapshots for race in snap.races.values() if race.state == state]


def _all_races(snapshots: Sequence[Snapshot]) -> list[tuple[Snapshot, Race]]:
    return [(snap, race) for snap in snapshots for race in snap.races.values()]


def help_lines(states: Sequence[str]) -> tuple[Line, ...]:
    """The usage: what to type, with the states the bot tracks."""
    tracked = ", ".join(f"{state_name(s)} ({s})" for s in states) if states else "none yet (no feed has reported)"
    sep = " · "
    return (
        line(
            strong("/results"),
            " answers from the latest results the bot has (only you see the answer; add ",
            code("share"),
            " to post it):",
        ),
        line(
            "• ",
            code("/results alabama"),
            " or ",
            code("/results AL"),
            ": the state's races (one race: its card with margin, votes left and recount line)",
        ),
        line(
            "• ",
            code("/results alabama senate"),
            ": one office of a state" + sep,
            code("/results alabama jefferson"),
            ": a county's votes and margin",
        ),
        line(
            "• ",
            code("/results senate"),
            ", ",
            code("/results house"),
            ": that office across states, closest first" + sep,
            code("/results close"),
            ": the closest races",
        ),
        line(
            "• ",
            code("/results rhode island gop"),
            " (or ",
            code("dem"),
            "): one party's primaries" + sep,
            code("/results gwinnett"),
            ": a county by name" + sep,
            code("/results warnock"),
            ": a candidate's races",
        ),
        line("• ", code("/results status"), ": feed health and the alert backlog"),
        line(
            "• ",
            code("/results subscribe alabama [quiet|cards|all]"),
            ", ",
            code("/results unsubscribe alabama"),
            ", ",
            code("/results subscriptions"),
        ),
        line(f"Tracked states: {tracked}"),
    )


def _note(*parts: str | Span) -> Answer:
    return Answer(kind=AnswerKind.NOTE, note=line(*parts))


def _lines(*texts: str) -> tuple[Line, ...]:
    """Plain lines (a card's margin and swing, a county's figures): no emphasis in them."""
    return tuple(line(t) for t in texts)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the read-only answers --------------------------------------------------------------------


def answer(text: str, snapshots: Sequence[Snapshot], rules: RuleSettings) -> Answer:
    """What ``/results <text>`` says (read-only forms; status and subscriptions need the handler)."""
    return answer_command(parse(text), snapshots, rules)


def answer_command(cmd: Command, snapshots: Sequence[Snapshot], rules: RuleSettings) -> Answer:
    states = tuple(tracked_states(snapshots))
    kind = cmd.kind
    if kind == "too_long":
        return _note(
            f"That was {cmd.length:,} characters (at most {MAX_INPUT}); try a state, e.g. ", code("/results alabama"), "."
        )
    if kind == "help":
        return Answer(states=states, kind=AnswerKind.HELP, lines=help_lines(states))
    if kind == "unknown":
        return _lookup_answer(cmd, snapshots, rules, states) or _unknown(cmd, states)
    if kind == "needs_state":
        return _needs_state(cmd)
    if kind == "state":
        return _state_answer(cmd, snapshots, rules, states)
    if kind == "office":
        return _office_answer(cmd, snapshots, rules)
    if kind == "close":
        return _close_answer(cmd, snapshots, rules)
    if kind == "swing":
        return _swing_answer(cmd, snapshots, rules)
    if kind == "balance":
        return _balance_answer(cmd, snapshots, rules)
    return _note(code(f"/results {cmd.kind}"), " needs the bot's store; try ", code("/results help"), ".")


ONE_LINE_HELP: Line = line(
    "Try ",
    code("/results alabama"),
    ", ",
    code("/results alabama jefferson"),
    ", ",
    code("/results close"),
    " or ",
    code("/results help"),
    ".",
)


def _unknown(cmd: Command, states: tuple[str, ...]) -> Answer:
    word = f"“{cmd.word}”" if cmd.word else "that"
    if cmd.suggestion and cmd.suggestion_is_state:
        st = state_of(cmd.suggestion)
        name = st.name if st else cmd.suggestion
        return _note(f"I don't know {word}. Did you mean ", strong(name), "? (", code(f"/results {name.lower()}"), ")")
    if cmd.suggestion:
        return _note(f"I don't know {word}. Did you mean ", code(f"/results {cmd.suggestion}"), "?")
    tracked = ", ".join(f"{state_name(s)} ({s})" for s in states) or "none yet"
    return _note(f"I don't know {word}. ", *ONE_LINE_HELP, f" Tracked states: {tracked}.")


def _lookup_answer(
    cmd: Command, snapshots: Sequence[Snapshot], rules: RuleSettings, states: tuple[str, ...]
) -> Answer | None:
    """``/results gwinnett`` and ``/results warnock``: a county, or a candidate, named without its
    state. One match answers as if the state had been given; several say "Did you mean";
    none leaves the word to :func:`_unknown`."""
    text = cmd.text
    if not text:
        return None
    places = _places_named(text, snapshots)
    people = _candidates_named(text, snapshots)
    persons = {fold(cand.name) for _, _, cand in people}
    if len(places) == 1 and not people:
        state, place = places[0]
        return _state_answer(Command("state", state=state, place=place, share=cmd.share), snapshots, rules, states)
    if len(persons) == 1 and not places:
        return _candidate_answer(cmd, people, rules)
    if not places and not people:
        return None
    options: list[Line] = [
        line(
            strong(counties.county_place(place, state)),
            " (",
            code(f"/results {state_name(state).lower()} {place.lower()}"),
            ")",
        )
        for state, place in places
    ]
    seen: set[str] = set()
    for _, race, cand in people:
        if fold(cand.name) in seen:
            continue
        seen.add(fold(cand.name))
        options.append(line(strong(cand.name), f" ({_plain_title(race)}; ", code(f"/results {cand.name.lower()}"), ")"))
    shown = options[:8] + ([line(f"{len(options) - 8} more")] if len(options) > 8 else [])
    listed = [span for i, option in enumerate(shown) for span in (line(", ") if i else ()) + option]
    return _note(f"“{_echo(text)}” names more than one thing I follow. Did you mean ", *listed, "?")


def _places_named(text: str, snapshots: Sequence[Snapshot]) -> list[tuple[str, str]]:
    """Tracked counties (and towns) whose name is ``text``: (state, name as the feed writes it),
    one per state, from county feeds' counties and every feed's county rows."""
    want = counties.key(text)
    found: dict[str, str] = {}
    if not want:
        return []
    for _, race in _all_races(snapshots):
        names = [race.county] if race.county else []
        names += [u.name for u in race.subunits if u.level in counties.PLACE_LEVELS]
        for name in names:
            if counties.key(name) == want:
                found.setdefault(race.state, name)
    return sorted(found.items())


def _candidates_named(text: str, snapshots: Sequence[Snapshot]) -> list[tuple[Snapshot, Race, Any]]:
    """Candidates whose full name or surname is ``text`` (case and accents aside)."""
    want = fold(" ".join(text.split()))
    return [
        (snap, race, cand)
        for snap, race in _all_races(snapshots)
        for cand in race.candidates
        if not cand.pseudo and want in (fold(cand.name), fold(short_name(cand.name)))
    ]


def _candidate_answer(cmd: Command, people: list[tuple[Snapshot, Race, Any]], rules: RuleSettings) -> Answer:
    """One person's races: the card of the only one, or a list (a county feed and the state's
    feed both carry the race; a candidate may run twice)."""
    if len(people) == 1:
        snap, race, _ = people[0]
        extra = _lines(*margin_lines(race, rules), *swing_lines(race, rules))
        return Answer(race_facts(race, rules, snap.generated_at), extra, kind="card", query=cmd.text)
    rows = [(snap, race) for snap, race, _ in people]
    rows.sort(key=lambda sr: (sr[1].county or "", sr[1].state, sr[1].office, sr[1].key))
    lines = tuple(
        line("• ", *_race_line(race_facts(r, rules, s.generated_at), r, strong(_plain_title(r)))) for s, r in rows[:MAX_LIST]
    ) + _more(len(rows))
    return Answer(
        kind="list", title=f"{people[0][2].name}: {len(rows)} races", lines=lines, footer=_as_of(rows), query=cmd.text
    )


def _plain_title(race: Race) -> str:
    from bot.render.text import race_heading

    return race_heading(race.state, race.office, race.seat, race.party, race.county)


def _needs_state(cmd: Command) -> Answer:
    verb = cmd.verb or "subscribe"
    if cmd.suggestion and cmd.suggestion_is_state:
        st = state_of(cmd.suggestion)
        name = st.name if st else cmd.suggestion
        return _note("Did you mean ", strong(name), "? (", code(f"/results {verb} {name.lower()}"), ")")
    example = code(f"/results {verb} alabama" + (" quiet" if verb == "subscribe" else ""))
    return _note("Which state? For example ", example, " (levels: quiet, cards, all)." if verb == "subscribe" else ".")


def _office_matches(race: Race, office: str) -> bool:
    """The shared vocabulary decides: "U.S. SENATOR", "US Senate (Perdue)" and AP's officeID "S"
    are all the Senate; "Lieutenant Governor" is not the governor's race."""
    return offices.matches(office, race.office, race.office_id)


def _party_matches(race: Race, party: str) -> bool:
    return offices.party_code(race.party) == party


def _party_word(party: str) -> str:
    return offices.party_adjective(party) or party


def _state_answer(cmd: Command, snapshots: Sequence[Snapshot], rules: RuleSettings, states: tuple[str, ...]) -> Answer:
    assert cmd.state is not None
    st = state_of(cmd.state)
    name = st.name if st else cmd.state
    found = races_in(snapshots, cmd.state)
    if not found:
        tracked = ", ".join(state_name(s) for s in states) or "none yet"
        return _note(f"No results for {name} in the feeds I follow. Tracked states: {tracked}.")
    if cmd.office:
        found = [(s, r) for s, r in found if _office_matches(r, cmd.office)]
        if not found:
            return _note(
                f"No {OFFICE_NAMES[cmd.office]} race for {name} in the feeds I follow; ",
                code(f"/results {name.lower()}"),
                " lists its races.",
            )
    if cmd.party:
        found = [(s, r) for s, r in found if _party_matches(r, cmd.party)]
        if not found:
            return _note(
                f"No {_party_word(cmd.party)} primary for {name} in the feeds I follow; ",
                code(f"/results {name.lower()}"),
                " lists its races.",
            )
    # the state's own races first, then each county feed's
    found.sort(key=lambda sr: (sr[1].county or "", sr[1].office, sr[1].seat or "", sr[1].key))
    if cmd.place:
        return _place_answer(cmd, name, found, rules)
    if len(found) == 1:
        snap, race = found[0]
        extra = _lines(*margin_lines(race, rules), *swing_lines(race, rules))
        return Answer(race_facts(race, rules, snap.generated_at), extra, states=states, kind="card", query=cmd.canonical)
    lines = tuple(
        line("• ", *_race_line(race_facts(race, rules, snap.generated_at), race, _office_label(race)))
        for snap, race in found[:MAX_LIST]
    )
    lines += _more(len(found))
    return Answer(kind="list", title=f"{name}: {len(found)} races", lines=lines, footer=_as_of(found), query=cmd.canonical)


def _office_label(race: Race) -> Span:
    """A race in a list of its state's races: the office, whose primary, and the county when the
    feed covers one county ("Gwinnett County, Ga.: President")."""
    label = offices.race_office(race.office, race.seat, race.party)
    return strong(f"{counties.county_place(race.county, race.state)}: {label}" if race.county else label)


def _more(n: int) -> tuple[Line, ...]:
    return (line(f"… and {n - MAX_LIST} more"),) if n > MAX_LIST else ()


def _as_of(found: Sequence[tuple[Snapshot, Race]]) -> Line | None:
    if not found:
        return None
    snap, race = max(found, key=lambda sr: sr[0].generated_at)
    return line(f"As of {local_time(snap.generated_at.isoformat(), race.state)}")


def _reporting_share(facts: RaceFacts) -> Fraction | None:
    if facts.expected_vote_pct is not None:
        return Fraction(facts.expected_vote_pct).limit_denominator(10**6) / 100
    if facts.precincts_total:
        return Fraction(facts.precincts_reporting or 0, facts.precincts_total)
    return None


def _race_line(facts: RaceFacts, race: Race | None, label: Span) -> Line:
    """One race in a list: leader, lead in votes and points, % in, the hurdle, the call."""
    share_in = _reporting_share(facts)
    parts = []
    if facts.uncontested:  # nobody to lead or trail: no margin, no hurdle
        parts.append("uncontested")
        race = None
    elif facts.total_votes == 0:
        parts.append("no votes counted yet")
    elif facts.leader is None:
        parts.append(f"tied at {votes(facts.candidates[0].votes)} votes each")
    else:
        lead, runner = facts.leader, facts.runner_up
        against = f" over {short_name(runner.name)} {percent(facts.share(runner.votes))} %" if runner else ""
        parts.append(
            f"{short_name(lead.name)} {percent(facts.share(lead.votes))} %{against}, "
            f"leads by {votes(facts.lead_votes)} votes ({points(facts.share(facts.lead_votes))} points)"
        )
    if share_in is not None:
        parts.append(f"{percent(share_in)} % in")
    if race is not None and facts.call_status != "called":
        h = _hurdle(race, facts)
        if h is not None and h.outstanding > 0:
            parts.append(_hurdle_text(h))
        elif facts.outstanding is None and facts.total_votes > 0:
            parts.append("no estimate of the votes left yet")
    if facts.call_status == "called":
        winners = [short_name(c.name) for c in facts.candidates if c.winner]
        parts.append("Called" + (f" for {', '.join(winners)}" if winners else ""))
    elif facts.race_call_status:
        parts.append(facts.race_call_status)
    return line(label, ": " + " · ".join(parts))


def _hurdle(race: Race, facts: RaceFacts) -> Hurdle | None:
    """The hurdle on the same estimate of the votes left as the alerts (``facts.outstanding``)."""
    return hurdle(standing(race), facts.outstanding)


def _hurdle_text(h: Hurdle) -> str:
    who = short_name(h.trailer.name)
    if h.out_of_reach:
        return f"{who} cannot catch up on about {votes(h.outstanding)} votes left"
    if h.share is None:
        return ""
    return f"{who} needs {percent(h.share)} % of about {votes(h.outstanding)} left"


def _place_answer(cmd: Command, state: str, found: list[tuple[Snapshot, Race]], rules: RuleSettings) -> Answer:
    assert cmd.place is not None
    units = [u for _, race in found for u in _place_units(race)]
    if not any(u.level in counties.PLACE_LEVELS for u in units):
        return _note(f"The feeds report {state} statewide only: no county figures.")
    hit = counties.match(cmd.place, units)
    if hit.unit is None:
        guess = (
            line(
                " Did you mean ",
                strong(hit.suggestion.name),
                "? (",
                code(f"/results {state.lower()} {hit.suggestion.name.lower()}"),
                ")",
            )
            if hit.suggestion
            else ()
        )
        return _note(f"No county or town “{_echo(cmd.place)}” in {state}'s results.", *guess)
    want = counties.key(hit.unit.name)
    rows: list[tuple[Snapshot, Race, Any]] = []
    for snap, race in found:
        unit = next(
            (u for u in _place_units(race) if u.level in counties.PLACE_LEVELS and counties.key(u.name) == want), None
        )
        if unit is not None:
            rows.append((snap, race, unit))
    place = counties.display_name(hit.unit, found[0][1].state)
    query = " ".join(p for p in (cmd.state, cmd.office, hit.unit.name) if p)
    if len(rows) == 1:
        snap, race, unit = rows[0]
        facts = _unit_facts(race, unit, snap.generated_at)
        statewide = race_facts(race, rules, snap.generated_at)
        lines = [standings_line(facts), f"{place}: {lead_line(facts)}"]
        swing = unit_swing_facts(race, unit, rules.context)
        if swing and (said := county_swing_text(unit.votes, swing, {c.id: short_name(c.name) for c in race.candidates})):
            lines.append(f"{place}: {said}" + ("" if unit.fully_reporting else " (so far)"))
        if race.county is None:  # a county feed's total is the county's: no statewide line from it
            lines.append(f"Statewide: {_statewide(statewide)}")
        stamp = unit.last_updated or snap.generated_at
        footer = line(f"County figures as of {local_time(stamp.isoformat(), race.state)}")
        return Answer(
            kind="list", title=f"{place} · {race_title(statewide)}", lines=_lines(*lines), footer=footer, query=query
        )
    listed = tuple(
        line("• ", *_race_line(_unit_facts(race, unit, snap.generated_at), None, _office_label(race)))
        for snap, race, unit in rows[:MAX_LIST]
    ) + _more(len(rows))
    return Answer(
        kind="list",
        title=f"{place}, {state}: {len(rows)} races",
        lines=listed,
        footer=_as_of([(s, r) for s, r, _ in rows]),
        query=query,
    )


def _place_units(race: Race) -> tuple[Any, ...]:
    """The places a race reports: its counties and towns, and for a county feed the county
    itself (its total row), so ``/results georgia gwinnett`` finds a county site's races too."""
    units = race.subunits
    total = race.state_unit
    if (
        race.county
        and total is not None
        and not any(u.level is Level.COUNTY and counties.key(u.name) == counties.key(race.county) for u in units)
    ):
        units = (replace(total, level=Level.COUNTY, name=race.county), *units)
    return units


def _unit_facts(race: Race, unit: Any, at: datetime) -> RaceFacts:
    """The county's own numbers; the statewide expected-vote share does not describe a county."""
    facts = facts_of(standing(race, unit), race, None, None, None, at)
    return replace(facts, expected_vote_pct=unit.expected_vote_pct)


def _statewide(facts: RaceFacts) -> str:
    if facts.total_votes == 0:
        return "no votes counted yet"
    head = lead_line(facts)
    if facts.call_status == "called":
        winners = [c.name + (f" ({c.party})" if c.party else "") for c in facts.candidates if c.winner]
        head += " · Called for " + ", ".join(winners)
    return head


def _echo(text: str) -> str:
    from bot.core.commands import echo

    return echo(text)


def _office_answer(cmd: Command, snapshots: Sequence[Snapshot], rules: RuleSettings) -> Answer:
    assert cmd.office is not None
    found = [(s, r) for s, r in _all_races(snapshots) if _office_matches(r, cmd.office)]
    office = OFFICE_NAMES[cmd.office]
    if not found:
        return _note(f"No {office} races in the feeds I follow. ", *ONE_LINE_HELP)
    rows = sorted(((s, r, race_facts(r, rules, s.generated_at)) for s, r in found), key=lambda t: _margin_key(t[2]))
    lines = tuple(line("• ", *_race_line(f, r, strong(race_title(f)))) for _, r, f in rows[:MAX_LIST]) + _more(len(rows))
    return Answer(
        kind="list", title=f"{office} races, closest first", lines=lines, footer=_as_of(found), query=cmd.canonical
    )


def _margin_key(facts: RaceFacts) -> tuple[int, Fraction, str]:
    """Races with votes by lead share (ties first), then races with no votes yet."""
    if facts.total_votes == 0:
        return (1, Fraction(0), facts.race_key)
    return (0, facts.share(facts.lead_votes), facts.race_key)


def _close_answer(cmd: Command, snapshots: Sequence[Snapshot], rules: RuleSettings) -> Answer:
    rows = [(s, r, race_facts(r, rules, s.generated_at)) for s, r in _all_races(snapshots)]
    rows = [t for t in rows if t[2].total_votes > 0 and not t[2].uncontested]
    if not rows:
        return _note("No votes counted yet in the feeds I follow.")
    if cmd.by == "hurdle":

        def key(t: tuple[Snapshot, Race, RaceFacts]) -> tuple[int, Fraction, str]:
            h = _hurdle(t[1], t[2])
            if h is None or h.share is None or h.outstanding == 0:
                return (1, t[2].share(t[2].lead_votes), t[2].race_key)
            return (0, h.share, t[2].race_key)

        rows.sort(key=key)
        title = "Closest races by the trailer's hurdle (share of the votes left needed to catch up)"
    else:
        rows.sort(key=lambda t: (t[2].call_status == "called", *_margin_key(t[2])))
        title = "Closest races by margin (uncalled first)"
    lines = tuple(line("• ", *_race_line(f, r, strong(race_title(f)))) for _, r, f in rows[:10])
    return Answer(kind="list", title=title, lines=lines, footer=_as_of([(s, r) for s, r, _ in rows]), query=cmd.canonical)


def swing_lines(race: Race, rules: RuleSettings) -> list[str]:
    """The swing since the race's baseline election, when config names one."""
    baseline = rules.context.baseline_for(race)
    return results_swing_lines(race, baseline) if baseline is not None else []


def _swing_answer(cmd: Command, snapshots: Sequence[Snapshot], rules: RuleSettings) -> Answer:
    """The state's counties by swing, most Democratic first: where the night moved, and how far."""
    assert cmd.state is not None
    st = state_of(cmd.state)
    name = st.name if st else cmd.state
    found = sorted(races_in(snapshots, cmd.state), key=lambda sr: (sr[1].office, sr[1].seat or "", sr[1].key))
    if cmd.office:
        found = [(s, r) for s, r in found if _office_matches(r, cmd.office)]
    compared = [(s, r, b) for s, r in found if (b := rules.context.baseline_for(r)) is not None]
    if not compared:
        why = "no baseline election is configured for it" if found else "the feeds I follow have no such race"
        return _note(f"No swing for {name}: {why}.")
    snap, race, baseline = compared[0]
    rs = race_swing(race, baseline)
    title = f"{race_title(race_facts(race, rules, snap.generated_at))}: swing since {baseline.label} by county"
    if not rs.counties:
        return _note(f"{title}: no county to compare yet.")
    units = {u.id: u for u in race.units}
    lines = [*results_swing_lines(race, baseline)]
    for us in rs.counties:
        unit = units.get(us.unit_id)
        side = " D" if us.swing > 0 else " R" if us.swing < 0 else ""
        status = "" if us.fully_reporting else f", {_unit_in(unit)}"
        lines.append(
            f"• {us.name} {points_text(us.swing)}{side} ({margin_text(us.margin_then)} → {margin_text(us.margin_now)}{status})"
        )
    if rs.without_swing:
        lines.append(
            f"{rs.without_swing} reporting {'county has' if rs.without_swing == 1 else 'counties have'} no {baseline.label} figures to compare with"
        )
    others = [r for _, r, _ in compared[1:]]
    footer = _as_of([(snap, race)]) or ()
    if others:
        footer += line(
            f" · also: {', '.join(_office_label(r).text for r in others)} (",
            code(f"/results {name.lower()} <office> swing"),
            ")",
        )
    return Answer(kind="list", title=title, lines=_lines(*lines), footer=footer or None, query=cmd.canonical)


def _unit_in(unit: Any) -> str:
    if unit is None or not unit.precincts_total:
        return "partial"
    return f"{percent(Fraction(unit.precincts_reporting or 0, unit.precincts_total))} % of precincts"


def _balance_answer(cmd: Command, snapshots: Sequence[Snapshot], rules: RuleSettings) -> Answer:
    """'Senate: Republicans 51, Democrats 49 (Jones gain)' from the calls in the stored snapshots
    and the seats config, next to AP's own count when a feed carries its trendtable report (or
    AP's count alone when no seats are configured: the desk still gets AP's figure)."""
    seats = rules.context.seats
    configured = dict(seats.chambers) if seats is not None else {}
    reports = latest_trendtables(t for snap in snapshots for t in snap.balance)
    if not configured and not reports:
        return _note(
            "No balance of power: no seats are configured (config [context] seats) and no feed carries an AP trendtable report."
        )
    chambers = [cmd.office] if cmd.office else sorted(set(configured) | set(reports))
    missing = next((c for c in chambers if c not in configured and c not in reports), None)
    if missing is not None:
        return _note(_no_balance_for(missing, configured, reports))
    races = {race.key: race for _, race in _all_races(snapshots)}
    lines: list[Line] = []
    for chamber in chambers:
        lines += _tally_lines(chamber, races, rules)
        if chamber in reports:
            lines.append(_trendtable_line(reports[chamber]))
    title = "Balance of power" if len(chambers) > 1 else f"{_chamber_name(chambers[0], configured)}: balance of power"
    return Answer(
        kind="list", title=title, lines=tuple(lines), footer=_as_of(list(_all_races(snapshots))), query=cmd.canonical
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
    day = moment.astimezone(_REPORT_ZONE).strftime("%A, %B %-d, %Y")
    return f"AP's report of {clock_text(moment, _REPORT_ZONE)} on {day}"


def _seat_line(seat: Any, race: Race | None) -> str:
    holder = f"held by the {PARTY_PLURAL.get(seat.holder, seat.holder)}"
    if race is None:
        return f"{seat.key}: not in the feeds I follow ({holder})"
    label = _plain_title(race)
    if len(race.winners) == 1 and (cand := race.candidate(race.winners[0])) is not None:
        return f"{label}: called for {short_name(cand.name)}" + (f" ({cand.party})" if cand.party else "") + f"; {holder}"
    return f"{label}: not called ({holder})"


def margin_lines(race: Race, rules: RuleSettings | None = None) -> list[str]:
    """What is left to count and what the trailer needs: the line a desk asks for next. The
    estimate is the alerts' own (``bot.core.rules.votes_left``); when there is none, it says so.
    An uncontested race has no trailer: nothing to say."""
    if race.uncontested:
        return []
    st = standing(race)
    left = votes_left(race, rules) if rules is not None else estimate_votes_left(race)
    outstanding = left.votes
    h = hurdle(st, outstanding)
    if outstanding is None and st.total_votes > 0 and left.reason:
        return [f"No estimate of the votes left yet ({left.reason}), so no hurdle for the trailer"]
    if outstanding is None or h is None or outstanding == 0:
        return []
    if h.out_of_reach:
        need = f"{short_name(h.trailer.name)} cannot catch up: the lead is larger than the votes left"
    elif h.share is not None:
        need = f"{short_name(h.trailer.name)} needs {percent(h.share)} % of them to catch up"
    else:
        need = ""
    return [f"About {votes(outstanding)} votes left to count ({votes_left_basis(left)}). {need}".strip()]


# --- answers that need the store (the handler reads it, these only say it) ----------------------


def _when(moment: datetime | None, state: str | None, now: datetime) -> str:
    if moment is None:
        return "never"
    ago = int((now - moment).total_seconds())
    rel = (
        "just now"
        if ago < 60
        else f"{ago // 60:,} min ago"
        if ago < 3600
        else f"{ago // 3600:,} h {ago % 3600 // 60} min ago"
    )
    if state:
        return f"{local_time(moment.isoformat(), state)} ({rel})"
    return f"{clock_text(moment, UTC)} ({rel})"


def status_answer(
    health: Sequence[Any],
    backlog: Mapping[str, int],
    snapshots: Sequence[Snapshot],
    now: datetime,
    failures: Sequence[tuple[str, str, str]] = (),
) -> Answer:
    """Per feed: last poll, last change, last error, failures in a row; then the outbox, and each
    channel whose alerts are set aside (``Store.delivery_failures``: disabled, needs the operator)."""
    feed_state = {s.feed: next(iter(sorted(r.state for r in s.races.values())), None) for s in snapshots}
    lines: list[Line] = []
    for h in health:
        state = feed_state.get(h.feed)
        ok = "OK" if h.consecutive_failures == 0 else f"FAILING: {h.consecutive_failures:,} failed polls in a row"
        lines.append(line(strong(h.feed), f": {ok}"))
        lines.append(
            line(f"    last poll {_when(h.last_poll_at, state, now)} · last change {_when(h.last_change_at, state, now)}")
        )
        if h.last_error:
            lines.append(line(f"    last error: {_clip(' '.join(str(h.last_error).split()), 300)}"))
    if not health:
        lines.append(line("No feed has been polled yet."))
    pending, sent, failed = (backlog.get(k, 0) for k in ("pending", "sent", "failed"))
    lines.append(line(f"Alert outbox: {pending:,} pending · {sent:,} sent · {failed:,} failed"))
    for platform, channel, error in failures:
        lines.append(line(f"    not delivering to {platform} {channel}: {_clip(' '.join(error.split()), 200)}"))
    return Answer(kind="list", title="Feed status", lines=tuple(lines))


def subscribed_answer(state: str, level: str, tracked: Iterable[str], created: bool) -> Answer:
    st = state_of(state)
    name = st.name if st else state
    verb = "will now get" if created else "now gets"
    note = line(f"This channel {verb} {name} alerts at level ", strong(level), f": {LEVEL_MEANING.get(level, level)}.")
    if state not in set(tracked):
        note += line(f" (No feed reports {name} yet; alerts start when one does.)")
    note += line(" In a private channel, invite the bot first.")
    return Answer(kind="note", note=note)


def unsubscribed_answer(state: str, removed: bool) -> Answer:
    st = state_of(state)
    name = st.name if st else state
    if removed:
        return _note(f"This channel no longer gets {name} alerts.")
    return _note(f"This channel was not subscribed to {name}; ", code("/results subscriptions"), " lists what it gets.")


def subscriptions_answer(rows: Sequence[tuple[str, str]], configured: bool = False) -> Answer:
    """``rows``: (scope, level) of this channel's subscriptions."""
    if not rows:
        return _note(
            "This channel has no subscriptions. ",
            code("/results subscribe alabama"),
            " adds one (levels: quiet, cards, all).",
        )
    lines = []
    for scope, level in rows:
        st = state_of(scope)
        lines.append(line(f"• {st.name if st else scope}: ", strong(level), f" ({LEVEL_MEANING.get(level, level)})"))
    return Answer(kind="list", title="This channel's subscriptions", lines=tuple(lines))


def no_dm_answer() -> Answer:
    return _note("Subscriptions are per channel: run this in the channel that should get the alerts.")
