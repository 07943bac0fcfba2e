"""Alert rules: a pure function of (what we announced so far, previous race, current race).

Each rule compares the current standing with the race's *memory* (what the channel has already
been told) rather than only with the previous snapshot: that is what keeps a flapping lead from
being announced ten times, lets a restart continue exactly where it stopped (the memory is stored
in the same transaction as the snapshot), and makes "identical snapshots give no events" true.
Every event carries a stable key built from the memory's counters, never from the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from fractions import Fraction
from typing import Any

from bot.core import offices
from bot.core.context import (
    ContextSettings,
    flip_crossed,
    flip_facts,
    flip_state,
    gain_details,
    tally_details,
    turnout_baseline,
    unit_swing_facts,
)
from bot.core.events import Event, EventKind, RaceFacts, facts_of
from bot.core.margins import Standing, VotesLeft, estimate_votes_left, hurdle, recount_position, standing
from bot.core.model import CallStatus, Level, Race, ReportingUnit
from bot.core.runoffs import RunoffFormat, RunoffRule, applicable_runoff_rule, runoff_position

#: AP's raceCallStatus / tabulationStatus values worth a line of their own.
NOTABLE_STATUSES = frozenset(
    {"Too Close to Call", "Unable to Call", "Tabulation Paused", "Vote Certified", "Awaiting Ranked Choice Results"}
)


@dataclass(frozen=True, slots=True)
class RecountRule:
    """A state's automatic-recount trigger, with the statute that sets it (config/recount_rules.toml)."""

    state: str
    threshold: Fraction  # margin ÷ all votes for the office, inclusive
    citation: str
    general_only: bool = True
    waivable: bool = True
    note: str = ""


@dataclass(frozen=True, slots=True)
class RuleSettings:
    recount_rules: Mapping[str, RecountRule] = field(default_factory=dict)
    #: recount-zone and write-in alerts wait until this share of the count is in: early
    #: margins of a few hundred votes are noise, not recount territory.
    recount_min_reporting: Fraction = Fraction(1, 2)
    #: lead-change hysteresis: a new leader is announced once this share is in and the lead
    #: has held for ``lead_hold_polls`` polls or is at least ``lead_vote_floor`` votes.
    lead_min_reporting: Fraction = Fraction(0)
    lead_hold_polls: int = 2
    lead_vote_floor: int = 1000
    milestones: tuple[int, ...] = (25, 50, 75, 90)
    county_batch_min_votes: int = 5000
    #: baselines (swing), seat holders and chambers (gains, balance of power)
    context: ContextSettings = field(default_factory=ContextSettings)
    #: runoff and top-two rules by state (config/runoff_rules.toml)
    runoff_rules: Mapping[str, tuple[RunoffRule, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RaceMemory:
    """What has been announced for one race; persisted with the snapshot it describes."""

    had_votes: bool = False
    announced_leader: str | None = None
    pending_leader: str | None = None
    pending_polls: int = 0
    lead_changes: int = 0
    in_recount_zone: bool = False
    recount_passes: int = 0
    write_ins_exceed: bool = False
    write_ins_passes: int = 0
    out_of_reach: bool = False
    out_of_reach_passes: int = 0
    winners: tuple[str, ...] = ()
    runoff: tuple[str, ...] = ()
    calls: int = 0
    race_call_status: str | None = None
    tabulation_status: str | None = None
    status_changes: int = 0
    milestones: tuple[int, ...] = ()
    all_reporting: bool = False
    counties_complete: tuple[str, ...] = ()
    flip_indicated: bool = False
    flip_passes: int = 0
    #: our runoff reckoning (``_runoffs``): what the channel has been told, and a counter for keys
    runoff_headed: bool = False
    runoff_pair: tuple[str, ...] = ()
    runoff_avoided: bool = False
    runoff_passes: int = 0
    #: the feed withdrew its runoff flags: its word beats our reckoning until it flags again
    runoff_silenced: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RaceMemory:
        if not data:
            return cls()
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for name in ("winners", "runoff", "milestones", "counties_complete", "runoff_pair"):
            if name in known:
                known[name] = tuple(known[name])
        return cls(**known)


@dataclass(frozen=True, slots=True)
class Evaluation:
    events: list[Event]
    memory: RaceMemory
    #: the numbers the events are stated with; ``None`` when there are no events, as for most
    #: races of a national poll (nothing to state them with, so they are not worked out)
    facts: RaceFacts | None


def evaluate(
    feed: str,
    previous: Race | None,
    race: Race,
    memory: RaceMemory,
    settings: RuleSettings,
    at: datetime | None = None,
    races: Mapping[str, Race] | None = None,
) -> Evaluation:
    """All rules over one race. Never raises on odd data: a race with no state row is quiet.

    ``races`` is every race of the snapshot: a call's balance-of-power line counts the other
    calls of its chamber."""
    st = standing(race)
    left = votes_left(race, settings)
    outstanding = left.votes
    rule = applicable_recount_rule(race, settings)
    ctx = _Context(feed, race, st, outstanding, rule, settings, _count_changed(previous, race), races or {}, left)
    events, mem = _run(ctx, previous, memory)
    if not events:
        return Evaluation(events, mem, None)
    facts = facts_of(st, race, outstanding, rule.threshold if rule else None, rule.citation if rule else None, at)
    return Evaluation(events, mem, _with_runoff(facts, race, settings))


def _count_changed(previous: Race | None, race: Race) -> bool:
    """Whether this evaluation is a new observation of the count. Lead-change hysteresis
    counts polls that brought new numbers, so evaluating an unchanged race again (any poll in
    which another race moved) changes nothing: same race + its memory → no events, same memory."""
    if previous is None:
        return True
    before, now = previous.state_unit, race.state_unit
    if before is None or now is None:
        return before is not now
    return dict(before.votes) != dict(now.votes) or before.precincts_reporting != now.precincts_reporting


def race_facts(race: Race, settings: RuleSettings, at: datetime | None = None) -> RaceFacts:
    """The numbers /results and the live card show: the same ones the alerts state."""
    rule = applicable_recount_rule(race, settings)
    facts = facts_of(
        standing(race),
        race,
        votes_left(race, settings).votes,
        rule.threshold if rule else None,
        rule.citation if rule else None,
        at,
    )
    return _with_runoff(facts, race, settings)


def _with_runoff(facts: RaceFacts, race: Race, settings: RuleSettings) -> RaceFacts:
    rule = applicable_runoff_rule(race, settings.runoff_rules)
    return replace(facts, runoff_rule=rule.to_facts()) if rule is not None else facts


def votes_left(race: Race, settings: RuleSettings) -> VotesLeft:
    """The one estimate of the votes left that the hurdle, "out of reach", the runoff alerts and
    /results all use: the feed's expected vote, else the configured baseline's turnout, else
    precincts from 20 % in (``bot.core.margins.estimate_votes_left``)."""
    return estimate_votes_left(race, turnout_baseline(race, settings.context))


def _run(ctx: _Context, previous: Race | None, memory: RaceMemory) -> Step:
    events: list[Event] = []
    mem = memory
    # An uncontested race (no more named candidates than seats) has no lead, margin or trailer.
    contest = () if ctx.race.uncontested else (_leader, _recount, _write_ins, _out_of_reach, _runoffs)
    # _runoffs reads the feed's flags as last announced, so it runs before _calls records the new ones
    for step in (_first_votes, *contest, _calls, _statuses, _reporting, _flip):
        new, mem = step(ctx, mem)
        events.extend(new)
    batches = _county_changes(ctx, previous) if previous is not None else []
    completed, mem = _counties_complete(ctx, mem)
    # A county that completes in this poll states its swing once, on the "all precincts in" line.
    done = {e.details["unit_id"] for e in completed}
    events += [_without_swing(e) if e.details.get("unit_id") in done else e for e in batches]
    events += completed
    return events, mem


def _without_swing(event: Event) -> Event:
    return replace(event, details={**event.details, "swing": None})


def applicable_recount_rule(race: Race, settings: RuleSettings) -> RecountRule | None:
    rule = settings.recount_rules.get(race.state.upper())
    if rule is None or (rule.general_only and not race.general) or race.seats != 1:
        return None
    if race.county and offices.classify(race.office, race.office_id).kind is not None:
        return None  # one county's share of a wider race: its margin is not the race's margin
    return rule


@dataclass(frozen=True, slots=True)
class _Context:
    feed: str
    race: Race
    st: Standing
    outstanding: int | None
    rule: RecountRule | None
    settings: RuleSettings
    #: the count moved since the previous evaluation (see ``_count_changed``)
    changed: bool = True
    races: Mapping[str, Race] = field(default_factory=dict)
    left: VotesLeft | None = None  # the estimate behind ``outstanding``

    def key(self, *parts: object) -> str:
        return "/".join([self.feed, self.race.key, *map(str, parts)])

    def event(self, kind: EventKind, *key_parts: object, **details: Any) -> Event:
        return Event(kind, self.key(kind.value, *key_parts), self.feed, self.race.key, details)

    def reporting_at_least(self, share: Fraction) -> bool:
        """Gates wait for the count; a feed with no reporting figures at all is not gated."""
        reporting = self.st.reporting_share
        if reporting is None:
            return self.st.precincts_total is None and self.st.expected_vote_pct is None
        return reporting >= share

    def name(self, candidate_id: str | None) -> str | None:
        cand = self.race.candidate(candidate_id) if candidate_id else None
        return cand.name if cand else None


Step = tuple[list[Event], RaceMemory]


def _updated(mem: RaceMemory, **changes: Any) -> RaceMemory:
    """``replace`` that hands back ``mem`` itself when no field changes. Most steps restate what
    the memory already holds (no new leader, no call, the same statuses), and on a national poll
    that is tens of thousands of copies for nothing; an unchanged object is also the store's cue
    to reuse the entry's JSON (``Store._memory_json``)."""
    if all(getattr(mem, name) == value for name, value in changes.items()):
        return mem
    return replace(mem, **changes)


def _first_votes(ctx: _Context, mem: RaceMemory) -> Step:
    if mem.had_votes or ctx.st.total_votes == 0:
        return [], mem
    return [ctx.event(EventKind.FIRST_VOTES)], _updated(mem, had_votes=True)


def _leader(ctx: _Context, mem: RaceMemory) -> Step:
    leader = ctx.st.leader.candidate_id if ctx.st.leader else None
    if leader is None or leader == mem.announced_leader:
        return [], _updated(mem, pending_leader=None, pending_polls=0)
    if mem.announced_leader is None:
        return [ctx.event(EventKind.TAKES_LEAD, leader=leader)], replace(
            mem, announced_leader=leader, pending_leader=None, pending_polls=0
        )
    # polls the new leader has held: only polls that brought new numbers count
    same = mem.pending_leader == leader
    polls = mem.pending_polls + (1 if ctx.changed else 0) if same else 1
    settings = ctx.settings
    held = polls >= settings.lead_hold_polls or ctx.st.lead_votes >= settings.lead_vote_floor
    if not (held and ctx.reporting_at_least(settings.lead_min_reporting)):
        return [], _updated(mem, pending_leader=leader, pending_polls=polls)
    n = mem.lead_changes + 1
    event = ctx.event(EventKind.LEAD_CHANGE, n, leader=leader, previous_leader=mem.announced_leader)
    return [event], _updated(mem, announced_leader=leader, pending_leader=None, pending_polls=0, lead_changes=n)


def _recount(ctx: _Context, mem: RaceMemory) -> Step:
    if ctx.rule is None or ctx.st.leader is None and not ctx.st.tied:
        return [], mem
    pos = recount_position(ctx.st, ctx.rule.threshold)
    if pos is None:
        return [], mem
    details = {
        "votes_to_line": pos.votes_to_line,
        "line_votes": f"{pos.line_votes.numerator}/{pos.line_votes.denominator}",
        "lead_votes": ctx.st.lead_votes,
        "leader": ctx.st.leader.candidate_id if ctx.st.leader else None,
        "citation": ctx.rule.citation,
        "general_only": ctx.rule.general_only,
        "waivable": ctx.rule.waivable,
    }
    if pos.inside and not mem.in_recount_zone and ctx.reporting_at_least(ctx.settings.recount_min_reporting):
        event = ctx.event(EventKind.RECOUNT_ENTERED, mem.recount_passes + 1, **details)
        return [event], _updated(mem, in_recount_zone=True, recount_passes=mem.recount_passes + 1)
    if not pos.inside and mem.in_recount_zone:
        return [ctx.event(EventKind.RECOUNT_LEFT, mem.recount_passes, **details)], _updated(mem, in_recount_zone=False)
    return [], mem


def _write_ins(ctx: _Context, mem: RaceMemory) -> Step:
    """Alabama counties must tally write-ins when they exceed the margin: worth saying at once."""
    unresolved = sum(c.votes for c in ctx.st.candidates if c.pseudo)
    # a tie (margin 0) with any write-in is the clearest case of all
    exceeds = ctx.st.total_votes > 0 and unresolved > ctx.st.lead_votes
    if exceeds and not mem.write_ins_exceed and ctx.reporting_at_least(ctx.settings.recount_min_reporting):
        n = mem.write_ins_passes + 1
        event = ctx.event(EventKind.WRITE_INS_EXCEED_MARGIN, n, unresolved_votes=unresolved, lead_votes=ctx.st.lead_votes)
        return [event], _updated(mem, write_ins_exceed=True, write_ins_passes=n)
    if not exceeds and mem.write_ins_exceed:
        return [], _updated(mem, write_ins_exceed=False)
    return [], mem


def _out_of_reach(ctx: _Context, mem: RaceMemory) -> Step:
    """An arithmetic fact about the estimate, never a call: the call comes only from the feed."""
    h = hurdle(ctx.st, ctx.outstanding)
    beyond = h is not None and h.out_of_reach and h.outstanding > 0 and not ctx.race.winners
    if beyond and not mem.out_of_reach:
        assert h is not None
        n = mem.out_of_reach_passes + 1
        method = ctx.left.method.value if ctx.left is not None else None
        event = ctx.event(
            EventKind.OUT_OF_REACH,
            n,
            trailer=h.trailer.candidate_id,
            outstanding=h.outstanding,
            lead_votes=ctx.st.lead_votes,
            method=method,
        )
        return [event], _updated(mem, out_of_reach=True, out_of_reach_passes=n)
    if h is not None and not h.out_of_reach and mem.out_of_reach:
        return [], _updated(mem, out_of_reach=False)
    return [], mem


def _runoffs(ctx: _Context, mem: RaceMemory) -> Step:
    """'Headed for a runoff', 'runoff: A vs B' (or, in a top-two primary, 'A and B advance') and
    'avoids a runoff', each once, from the count and the estimate of the votes left: with no
    estimate nothing is claimed unless every vote is in. The feed's own calls and runoff flags
    win: while the feed has spoken we say nothing, and when it withdraws its runoff flags our
    reckoning is withdrawn with it (and stays quiet until the feed flags a runoff again)."""
    race = ctx.race
    feed_runoff = bool(race.runoff) or race.call_status is CallStatus.RUNOFF
    if feed_runoff or race.winners:
        return [], _updated(mem, runoff_silenced=False) if feed_runoff else mem
    if mem.runoff and not race.runoff:  # the feed withdrew its runoff flags
        events: list[Event] = []
        if mem.runoff_headed or mem.runoff_pair:
            n = mem.runoff_passes + 1
            events.append(
                ctx.event(
                    EventKind.RUNOFF_WITHDRAWN, n, previous_pair=list(mem.runoff_pair), previous_headed=mem.runoff_headed
                )
            )
            mem = _updated(mem, runoff_passes=n)
        return events, _updated(mem, runoff_headed=False, runoff_pair=(), runoff_silenced=True)
    rule = applicable_runoff_rule(race, ctx.settings.runoff_rules)
    if rule is None or mem.runoff_silenced or ctx.st.total_votes == 0:
        return [], mem
    # certain for every split of the votes left up to the top of the estimate's range
    left = ctx.left.high if ctx.left is not None and ctx.left.high is not None else ctx.outstanding
    pos = runoff_position(ctx.st, rule, left)
    if not pos.possible or pos.leader is None:
        return [], mem
    base = {
        **rule.to_facts(),
        "leader": pos.leader.candidate_id,
        "leader_votes": pos.leader.votes,
        "total_votes": ctx.st.total_votes,
        "outstanding": left,
        "method": ctx.left.method.value if ctx.left is not None else None,
    }
    events = []
    n = mem.runoff_passes
    if rule.format is RunoffFormat.THRESHOLD:
        if pos.reachable is False and not mem.runoff_headed:
            n += 1
            events.append(ctx.event(EventKind.RUNOFF_HEADED, n, **base))
            mem = _updated(mem, runoff_headed=True)
        # "avoids a runoff" only where one was in play: three or more names, or write-ins
        in_play = sum(1 for c in ctx.st.candidates if not c.pseudo) >= 3 or ctx.st.total_votes > sum(
            c.votes for c in ctx.st.candidates if not c.pseudo
        )
        if pos.clears and in_play and not mem.runoff_avoided:
            n += 1
            events.append(ctx.event(EventKind.RUNOFF_AVOIDED, n, **base))
            mem = _updated(mem, runoff_avoided=True)
    pair_due = rule.format is RunoffFormat.TOP_TWO or mem.runoff_headed
    if pair_due and pos.pair is not None and not mem.runoff_pair:
        n += 1
        events.append(ctx.event(EventKind.RUNOFF_PAIR, n, "-".join(sorted(pos.pair)), **base, candidates=list(pos.pair)))
        mem = _updated(mem, runoff_pair=pos.pair)
    return events, _updated(mem, runoff_passes=n)


def _calls(ctx: _Context, mem: RaceMemory) -> Step:
    """Calls come from the feed only (X and R flags). ``calls`` counts call decisions (a call, a
    runoff, a withdrawal), so each one gets a key of its own even when the feed flip-flops."""
    race, events = ctx.race, []
    winners, runoff = tuple(sorted(race.winners)), tuple(sorted(race.runoff))
    calls = mem.calls
    new_call = bool(winners) and winners != mem.winners
    new_runoff = bool(runoff) and runoff != mem.runoff
    if new_call or new_runoff:
        calls += 1
        if new_call:
            events.append(ctx.event(EventKind.RACE_CALLED, calls, winners=list(winners)))
            if (g := gain_details(race, ctx.settings.context)) is not None:
                events.append(ctx.event(EventKind.SEAT_GAIN, calls, **g))
            events += _balance(ctx, calls)
        if new_runoff:
            events.append(ctx.event(EventKind.RUNOFF, calls, "-".join(runoff), candidates=list(runoff)))
    elif not winners and not runoff and (mem.winners or mem.runoff):
        calls += 1
        events.append(
            ctx.event(
                EventKind.RACE_UNCALLED,
                calls,
                previous_winners=list(mem.winners),
                previous_runoff=list(mem.runoff),
                # the names as the race gives them now: the line names people, not feed ids
                names={cid: ctx.name(cid) or cid for cid in (*mem.winners, *mem.runoff)},
            )
        )
        if mem.winners:
            events += _balance(ctx, calls)
    return events, _updated(mem, winners=winners, runoff=runoff, calls=calls)


def _balance(ctx: _Context, calls: int) -> list[Event]:
    """What a call (or a withdrawn call) does to its chamber: 'Senate: Republicans 51, …'."""
    tally = tally_details(ctx.race, ctx.races, ctx.settings.context)
    return [ctx.event(EventKind.BALANCE_OF_POWER, calls, tally=tally)] if tally is not None else []


def _statuses(ctx: _Context, mem: RaceMemory) -> Step:
    events = []
    n = mem.status_changes
    for field_name, new in (
        ("race_call_status", ctx.race.race_call_status),
        ("tabulation_status", ctx.race.tabulation_status),
    ):
        old = getattr(mem, field_name)
        if new == old or new == "Called":
            continue
        if new in NOTABLE_STATUSES or old in NOTABLE_STATUSES and new is not None:
            # counted, so "Too Close to Call" again after a spell without it is a new alert
            n += 1
            events.append(
                ctx.event(EventKind.STATUS_CHANGED, n, field_name, new, status=new, previous=old, field=field_name)
            )
    return events, _updated(
        mem, race_call_status=ctx.race.race_call_status, tabulation_status=ctx.race.tabulation_status, status_changes=n
    )


def _reporting(ctx: _Context, mem: RaceMemory) -> Step:
    share = ctx.st.reporting_share
    if share is None or ctx.st.total_votes == 0:
        return [], mem
    events = []
    crossed = [m for m in ctx.settings.milestones if m < 100 and share * 100 >= m and m not in mem.milestones]
    milestones = mem.milestones
    if crossed:
        milestones = tuple(sorted(set(mem.milestones) | set(crossed)))
        # One line for the highest threshold crossed: a feed that jumps 20 % → 80 % says "75 %".
        if share < 1:
            events.append(ctx.event(EventKind.MILESTONE, max(crossed), percent=max(crossed)))
    # "All precincts": precincts when the feed counts them (AP's eevp can reach 100 before the
    # last precinct, or stay below it after), else the expected vote.
    complete = _all_precincts(ctx.st) if ctx.st.precincts_total else share >= 1
    if complete and not mem.all_reporting:
        events.append(ctx.event(EventKind.ALL_REPORTING))
    return events, _updated(mem, milestones=milestones, all_reporting=complete or mem.all_reporting)


def _all_precincts(st: Standing) -> bool:
    return bool(st.precincts_total) and (st.precincts_reporting or 0) >= (st.precincts_total or 0)


def _county_rows(race: Race) -> dict[str, ReportingUnit]:
    return {u.id: u for u in race.units if u.level in (Level.COUNTY, Level.TOWN)}


def _county_changes(ctx: _Context, previous: Race) -> list[Event]:
    before = _county_rows(previous)
    now = _county_rows(ctx.race)
    if not now and not before:
        return _state_correction(ctx, previous)
    events = []
    for unit_id, unit in now.items():
        old = before.get(unit_id)
        if old is None:
            continue
        deltas = {cid: unit.votes.get(cid, 0) - old.votes.get(cid, 0) for cid in set(unit.votes) | set(old.votes)}
        if any(d < 0 for d in deltas.values()):
            events.append(ctx.event(EventKind.CORRECTION, unit_id, unit.total_votes, unit=unit.name, deltas=deltas))
            continue
        added = sum(deltas.values())
        if added >= ctx.settings.county_batch_min_votes:
            events.append(
                ctx.event(
                    EventKind.COUNTY_BATCH,
                    unit_id,
                    unit.total_votes,
                    unit=unit.name,
                    unit_id=unit_id,
                    deltas=deltas,
                    added=added,
                    votes=dict(unit.votes),
                    swing=unit_swing_facts(ctx.race, unit, ctx.settings.context),
                )
            )
    return events


def _state_correction(ctx: _Context, previous: Race) -> list[Event]:
    """A statewide-only feed (no county rows) still reports votes going down."""
    unit, old = ctx.race.state_unit, previous.state_unit
    if unit is None or old is None:
        return []
    deltas = {cid: unit.votes.get(cid, 0) - old.votes.get(cid, 0) for cid in set(unit.votes) | set(old.votes)}
    if not any(d < 0 for d in deltas.values()):
        return []
    return [ctx.event(EventKind.CORRECTION, unit.id, unit.total_votes, unit=unit.name, deltas=deltas)]


def _counties_complete(ctx: _Context, mem: RaceMemory) -> Step:
    done = set(mem.counties_complete)
    events = []
    for unit_id, unit in _county_rows(ctx.race).items():
        if unit.level is Level.COUNTY and unit.fully_reporting and unit.total_votes and unit_id not in done:
            done.add(unit_id)
            swing = unit_swing_facts(ctx.race, unit, ctx.settings.context)
            events.append(
                ctx.event(
                    EventKind.COUNTY_COMPLETE, unit_id, unit=unit.name, unit_id=unit_id, votes=dict(unit.votes), swing=swing
                )
            )
    if not events:
        return [], mem
    return events, _updated(mem, counties_complete=tuple(sorted(done)))


def _flip(ctx: _Context, mem: RaceMemory) -> Step:
    """'The reported counties' swing, applied to the baseline, would flip the state': an
    indication, announced once when it appears and once when it goes away, never a call."""
    fi = flip_state(ctx.race, ctx.settings.context)
    if fi is None:
        return [], mem
    crossed = flip_crossed(fi, mem.flip_indicated, ctx.settings.context.flip_min_margin)
    if crossed is None:
        return [], mem
    n = mem.flip_passes + (1 if crossed else 0)
    event = ctx.event(EventKind.FLIP_INDICATION, n, "on" if crossed else "off", **flip_facts(fi))
    return [event], _updated(mem, flip_indicated=crossed, flip_passes=n)
