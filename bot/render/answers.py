"""What ``/results`` says, as a pure function of the parsed command and the stored snapshots.

Kept out of the handler so the CLI demo prints exactly what Slack users see, and so tests can
check the words without a Slack request. Numbers come from the same code as the alerts
(``bot.core.rules.race_facts`` → ``bot.render``): thousands separators, two-decimal shares rounded
half up as the Secretary of State prints them, times in the state's zone. User text goes back
only through ``bot.core.commands.echo`` (cleaned, clipped), as a plain span: each platform's
renderer escapes it with everything else.

The answer is data (``bot.core.answer``): emphasis is a span's ``Emphasis``, never a platform's
markup. Slack's Block Kit is ``bot.render.slack_answers``, Discord's embeds
``bot.render.discord_answers``, the console's text ``bot.render.text_answers``. Beside this module:
the balance of power (``balance_answer``), what status and the subscription commands say
(``status_answers``, the handler reads the store) and the pieces all of them share (``answer_parts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from fractions import Fraction
from typing import Any

from bot.core import counties, offices
from bot.core.answer import Answer, AnswerKind, Line, Span, code, line, strong
from bot.core.commands import MAX_INPUT, OFFICE_NAMES, Command, fold, parse, state_of
from bot.core.context import unit_swing_facts
from bot.core.events import RaceFacts, facts_of
from bot.core.margins import Hurdle, estimate_votes_left, hurdle, standing
from bot.core.model import Level, Race, Snapshot
from bot.core.rules import RuleSettings, race_facts, votes_left
from bot.core.states import state_name
from bot.core.swing import race_swing
from bot.render.answer_parts import (
    MAX_LIST,
    all_races,
    as_of,
    more,
    note,
    office_matches,
    plain_lines,
    plain_title,
    races_in,
    tracked_states,
)
from bot.render.balance_answer import balance_answer
from bot.render.numbers import percent, points, votes
from bot.render.swing import county_swing_text, margin_text, points_text, results_swing_lines
from bot.render.text import lead_line, local_time, race_title, short_name, standings_line, votes_left_basis

__all__ = [
    "MAX_INPUT",
    "answer",
    "answer_command",
    "margin_lines",
    "swing_lines",
]


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


# --- the read-only answers --------------------------------------------------------------------


def answer(text: str, snapshots: Sequence[Snapshot], rules: RuleSettings) -> Answer:
    """What ``/results <text>`` says (read-only forms; status and subscriptions need the handler)."""
    return answer_command(parse(text), snapshots, rules)


def answer_command(cmd: Command, snapshots: Sequence[Snapshot], rules: RuleSettings) -> Answer:
    states = tuple(tracked_states(snapshots))
    kind = cmd.kind
    if kind == "too_long":
        return note(
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
        return balance_answer(cmd, snapshots, rules)
    return note(code(f"/results {cmd.kind}"), " needs the bot's store; try ", code("/results help"), ".")


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
        return note(f"I don't know {word}. Did you mean ", strong(name), "? (", code(f"/results {name.lower()}"), ")")
    if cmd.suggestion:
        return note(f"I don't know {word}. Did you mean ", code(f"/results {cmd.suggestion}"), "?")
    tracked = ", ".join(f"{state_name(s)} ({s})" for s in states) or "none yet"
    return note(f"I don't know {word}. ", *ONE_LINE_HELP, f" Tracked states: {tracked}.")


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
        options.append(line(strong(cand.name), f" ({plain_title(race)}; ", code(f"/results {cand.name.lower()}"), ")"))
    shown = options[:8] + ([line(f"{len(options) - 8} more")] if len(options) > 8 else [])
    listed = [span for i, option in enumerate(shown) for span in (line(", ") if i else ()) + option]
    return note(f"“{_echo(text)}” names more than one thing I follow. Did you mean ", *listed, "?")


def _places_named(text: str, snapshots: Sequence[Snapshot]) -> list[tuple[str, str]]:
    """Tracked counties (and towns) whose name is ``text``: (state, name as the feed writes it),
    one per state, from county feeds' counties and every feed's county rows."""
    want = counties.key(text)
    found: dict[str, str] = {}
    if not want:
        return []
    for _, race in all_races(snapshots):
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
        for snap, race in all_races(snapshots)
        for cand in race.candidates
        if not cand.pseudo and want in (fold(cand.name), fold(short_name(cand.name)))
    ]


def _candidate_answer(cmd: Command, people: list[tuple[Snapshot, Race, Any]], rules: RuleSettings) -> Answer:
    """One person's races: the card of the only one, or a list (a county feed and the state's
    feed both carry the race; a candidate may run twice)."""
    if len(people) == 1:
        snap, race, _ = people[0]
        extra = plain_lines(*margin_lines(race, rules), *swing_lines(race, rules))
        return Answer(race_facts(race, rules, snap.generated_at), extra, kind="card", query=cmd.text)
    rows = [(snap, race) for snap, race, _ in people]
    rows.sort(key=lambda sr: (sr[1].county or "", sr[1].state, sr[1].office, sr[1].key))
    lines = tuple(
        line("• ", *_race_line(race_facts(r, rules, s.generated_at), r, strong(plain_title(r)))) for s, r in rows[:MAX_LIST]
    ) + more(len(rows))
    return Answer(
        kind="list", title=f"{people[0][2].name}: {len(rows)} races", lines=lines, footer=as_of(rows), query=cmd.text
    )


def _needs_state(cmd: Command) -> Answer:
    verb = cmd.verb or "subscribe"
    if cmd.suggestion and cmd.suggestion_is_state:
        st = state_of(cmd.suggestion)
        name = st.name if st else cmd.suggestion
        return note("Did you mean ", strong(name), "? (", code(f"/results {verb} {name.lower()}"), ")")
    example = code(f"/results {verb} alabama" + (" quiet" if verb == "subscribe" else ""))
    return note("Which state? For example ", example, " (levels: quiet, cards, all)." if verb == "subscribe" else ".")


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
        return note(f"No results for {name} in the feeds I follow. Tracked states: {tracked}.")
    if cmd.office:
        found = [(s, r) for s, r in found if office_matches(r, cmd.office)]
        if not found:
            return note(
                f"No {OFFICE_NAMES[cmd.office]} race for {name} in the feeds I follow; ",
                code(f"/results {name.lower()}"),
                " lists its races.",
            )
    if cmd.party:
        found = [(s, r) for s, r in found if _party_matches(r, cmd.party)]
        if not found:
            return note(
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
        extra = plain_lines(*margin_lines(race, rules), *swing_lines(race, rules))
        return Answer(race_facts(race, rules, snap.generated_at), extra, states=states, kind="card", query=cmd.canonical)
    lines = tuple(
        line("• ", *_race_line(race_facts(race, rules, snap.generated_at), race, _office_label(race)))
        for snap, race in found[:MAX_LIST]
    )
    lines += more(len(found))
    return Answer(kind="list", title=f"{name}: {len(found)} races", lines=lines, footer=as_of(found), query=cmd.canonical)


def _office_label(race: Race) -> Span:
    """A race in a list of its state's races: the office, whose primary, and the county when the
    feed covers one county ("Gwinnett County, Ga.: President")."""
    label = offices.race_office(race.office, race.seat, race.party)
    return strong(f"{counties.county_place(race.county, race.state)}: {label}" if race.county else label)


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
        return note(f"The feeds report {state} statewide only: no county figures.")
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
        return note(f"No county or town “{_echo(cmd.place)}” in {state}'s results.", *guess)
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
            kind="list", title=f"{place} · {race_title(statewide)}", lines=plain_lines(*lines), footer=footer, query=query
        )
    listed = tuple(
        line("• ", *_race_line(_unit_facts(race, unit, snap.generated_at), None, _office_label(race)))
        for snap, race, unit in rows[:MAX_LIST]
    ) + more(len(rows))
    return Answer(
        kind="list",
        title=f"{place}, {state}: {len(rows)} races",
        lines=listed,
        footer=as_of([(s, r) for s, r, _ in rows]),
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
    found = [(s, r) for s, r in all_races(snapshots) if office_matches(r, cmd.office)]
    office = OFFICE_NAMES[cmd.office]
    if not found:
        return note(f"No {office} races in the feeds I follow. ", *ONE_LINE_HELP)
    rows = sorted(((s, r, race_facts(r, rules, s.generated_at)) for s, r in found), key=lambda t: _margin_key(t[2]))
    lines = tuple(line("• ", *_race_line(f, r, strong(race_title(f)))) for _, r, f in rows[:MAX_LIST]) + more(len(rows))
    return Answer(kind="list", title=f"{office} races, closest first", lines=lines, footer=as_of(found), query=cmd.canonical)


def _margin_key(facts: RaceFacts) -> tuple[int, Fraction, str]:
    """Races with votes by lead share (ties first), then races with no votes yet."""
    if facts.total_votes == 0:
        return (1, Fraction(0), facts.race_key)
    return (0, facts.share(facts.lead_votes), facts.race_key)


def _close_answer(cmd: Command, snapshots: Sequence[Snapshot], rules: RuleSettings) -> Answer:
    rows = [(s, r, race_facts(r, rules, s.generated_at)) for s, r in all_races(snapshots)]
    rows = [t for t in rows if t[2].total_votes > 0 and not t[2].uncontested]
    if not rows:
        return note("No votes counted yet in the feeds I follow.")
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
    return Answer(kind="list", title=title, lines=lines, footer=as_of([(s, r) for s, r, _ in rows]), query=cmd.canonical)


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
        found = [(s, r) for s, r in found if office_matches(r, cmd.office)]
    compared = [(s, r, b) for s, r in found if (b := rules.context.baseline_for(r)) is not None]
    if not compared:
        why = "no baseline election is configured for it" if found else "the feeds I follow have no such race"
        return note(f"No swing for {name}: {why}.")
    snap, race, baseline = compared[0]
    rs = race_swing(race, baseline)
    title = f"{race_title(race_facts(race, rules, snap.generated_at))}: swing since {baseline.label} by county"
    if not rs.counties:
        return note(f"{title}: no county to compare yet.")
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
    footer = as_of([(snap, race)]) or ()
    if others:
        footer += line(
            f" · also: {', '.join(_office_label(r).text for r in others)} (",
            code(f"/results {name.lower()} <office> swing"),
            ")",
        )
    return Answer(kind="list", title=title, lines=plain_lines(*lines), footer=footer or None, query=cmd.canonical)


def _unit_in(unit: Any) -> str:
    if unit is None or not unit.precincts_total:
        return "partial"
    return f"{percent(Fraction(unit.precincts_reporting or 0, unit.precincts_total))} % of precincts"


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
