"""Alert rules: a pure function of (what we announced so far, previous race, current race).

Each rule compares the current standing with the race's *memory* (what the channel has already
been told) rather than only with the previous snapshot: that is what keeps a flapping lead from
being announced ten times, lets a restart continue exactly where it stopped (the memory is stored
in the same transaction as the snapshot), and makes "identical snapshots give no events" true.
Every event carries a stable key built from the memory's counters, never from the clock.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from fractions import Fraction
from operator import attrgetter
from types import MappingProxyType
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
from bot.core.margins import RecountPosition, Standing, VotesLeft, estimate_votes_left, recount_position, standing
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
        """Every field, except for a memory with nothing in it (``is_blank``): ``{}``. Most races of
        a national first poll have nothing to remember, and their 550 bytes each were 2.7 MB of the
        4 MB written with every poll."""
        return {} if is_blank(self) else asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RaceMemory:
        if not data:
            return NO_MEMORY
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for name in ("winners", "runoff", "milestones", "counties_complete", "runoff_pair"):
            if name in known:
                known[name] = tuple(known[name])
        return cls(**known)


#: the memory of a race nothing has been said about (frozen, so one object serves every race)
NO_MEMORY = RaceMemory()


def is_blank(memory: RaceMemory) -> bool:
    """Nothing remembered: the shared ``NO_MEMORY`` (what ``from_dict`` and the poller hand out, so
    usually the identity answers) or a memory equal to it."""
    return memory is NO_MEMORY or memory == NO_MEMORY


@dataclass(frozen=True, slots=True)
class Evaluation:
    events: list[Event]
    memory: RaceMemory
    #: the numbers the events are stated with; ``None`` when there are no events, as for most
    #: races of a national poll (nothing to state them with, so they are not worked out)
    facts: RaceFacts | None


#: the memory's fields in order, read in one C call when a changed memory is built (``_remembered``)
_MEMORY_FIELDS = tuple(f.name for f in fields(RaceMemory))
_MEMORY_INDEX = {name: i for i, name in enumerate(_MEMORY_FIELDS)}
_memory_values = attrgetter(*_MEMORY_FIELDS)
_NO_RACES: Mapping[str, Race] = MappingProxyType({})


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
    calls of its chamber.

    The standing is worked out once and shared by every rule; the estimate of the votes left
    only when a rule or the facts ask for it (most races of a national first poll have no votes
    and nothing to state). The rules write their memory changes into one dict, and the memory is
    built once at the end, or handed back as it came when nothing changed."""
    ctx = _Context(feed, race, applicable_recount_rule(race, settings), settings, previous, races or _NO_RACES)
    _run(ctx, previous, memory)
    events = ctx.events
    mem = _remembered(memory, ctx.changes)
    if not events:
        return Evaluation(events, mem, None)
    return Evaluation(events, mem, _facts(race, ctx.st, ctx.outstanding, ctx.rule, ctx.runoff_rule, at))


def _remembered(mem: RaceMemory, changes: Mapping[str, Any]) -> RaceMemory:
    """``mem`` with ``changes``, or ``mem`` itself when no field changes. Most evaluations restate
    what the memory already holds (no new leader, no call, the same statuses): on a national poll
    that would be thousands of copies for nothing."""
    if all(getattr(mem, name) == value for name, value in changes.items()):
        return mem
    values = list(_memory_values(mem))
    for name, value in changes.items():
        values[_MEMORY_INDEX[name]] = value
    return RaceMemory(*values)


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
    return _facts(
        race,
        standing(race),
        votes_left(race, settings).votes,
        applicable_recount_rule(race, settings),
        applicable_runoff_rule(race, settings.runoff_rules),
        at,
    )


def _facts(
    race: Race,
    st: Standing,
    outstanding: int | None,
    rule: RecountRule | None,
    runoff: RunoffRule | None,
    at: datetime | None,
) -> RaceFacts:
    return facts_of(
        st,
        race,
        outstanding,
        rule.threshold if rule else None,
        rule.citation if rule else None,
        at,
        runoff_rule=runoff.to_facts() if runoff is not None else None,
    )


def votes_left(race: Race, settings: RuleSettings) -> VotesLeft:
    """The one estimate of the votes left that the hurdle, "out of reach", the runoff alerts and
    /results all use: the feed's expected vote, else the configured baseline's turnout, else
    precincts from 20 % in (``bot.core.margins.estimate_votes_left``)."""
    return estimate_votes_left(race, turnout_baseline(race, settings.context))


def _run(ctx: _Context, previous: Race | None, memory: RaceMemory) -> None:
    """Every rule in order; each reads ``memory`` as it came (the rules keep fields of their own)
    and writes its events and memory changes into ``ctx``."""
    _first_votes(ctx, memory)
    # An uncontested race (no more named candidates than seats) has no lead, margin or trailer.
    if not ctx.race.uncontested:
        _leader(ctx, memory)
        _recount(ctx, memory)
        _write_ins(ctx, memory)
        _out_of_reach(ctx, memory)
        # _runoffs reads the feed's flags as last announced, so it runs before _calls records the new ones
        _runoffs(ctx, memory)
    _calls(ctx, memory)
    _statuses(ctx, memory)
    _reporting(ctx, memory)
    _flip(ctx, memory)
    batches = _county_changes(ctx, previous) if previous is not None else []
    completed = _counties_complete(ctx, memory)
    if batches:
        # A county that completes in this poll states its swing once, on the "all precincts in" line.
        done = {e.details["unit_id"] for e in completed}
        ctx.events += [_without_swing(e) if e.details.get("unit_id") in done else e for e in batches]
    ctx.events += completed


def _without_swing(event: Event) -> Event:
    return replace(event, details={**event.details, "swing": None})


def applicable_recount_rule(race: Race, settings: RuleSettings) -> RecountRule | None:
    rule = settings.recount_rules.get(race.state.upper())
    if rule is None or (rule.general_only and not race.general) or race.seats != 1:
        return None
    if race.county and offices.classify(race.office, race.office_id).kind is not None:
        return None  # one county's share of a wider race: its margin is not the race's margin
    return rule


_UNSET: Any = object()


class _Context:
    """One evaluation: its inputs, the numbers every rule shares (each worked out at most once,
    the estimate and the runoff rule only when asked for), and what the rules found."""

    __slots__ = (
        "feed",
        "race",
        "total",
        "quiet",
        "rule",
        "settings",
        "changed",
        "races",
        "events",
        "changes",
        "_prefix",
        "_st",
        "_left",
        "_reporting",
        "_runoff_rule",
    )

    def __init__(
        self,
        feed: str,
        race: Race,
        rule: RecountRule | None,
        settings: RuleSettings,
        previous: Race | None,
        races: Mapping[str, Race],
    ) -> None:
        self.feed = feed
        self.race = race
        unit = race.state_unit
        votes = unit.votes.values() if unit is not None else ()
        #: the standing's ``total_votes``, known before the standing is worked out
        self.total: int = sum(votes)
        #: no votes at all: no leader, no tie, no trailer (most races of a first poll)
        self.quiet = not any(votes)
        self.rule = rule
        self.settings = settings
        #: the count moved since the previous evaluation (see ``_count_changed``)
        self.changed = _count_changed(previous, race)
        self.races = races
        self.events: list[Event] = []
        #: memory fields the rules set, applied once by ``_remembered``
        self.changes: dict[str, Any] = {}
        self._prefix: str | None = None  # "feed/race key" of the events' keys, when there are events
        self._st: Standing | None = None
        self._left: VotesLeft | None = None
        self._reporting: Fraction | None = _UNSET
        self._runoff_rule: RunoffRule | None = _UNSET

    @property
    def st(self) -> Standing:
        """The statewide standing (``bot.core.margins.standing``): what every rule with votes reads."""
        if self._st is None:
            self._st = standing(self.race)
        return self._st

    @property
    def left(self) -> VotesLeft:
        """The estimate of the votes left (``votes_left``)."""
        if self._left is None:
            self._left = votes_left(self.race, self.settings)
        return self._left

    @property
    def outstanding(self) -> int | None:
        return self.left.votes

    @property
    def reporting(self) -> Fraction | None:
        """The standing's share of the count in (``Standing.reporting_share``)."""
        if self._reporting is _UNSET:
            self._reporting = self.st.reporting_share
        return self._reporting

    @property
    def runoff_rule(self) -> RunoffRule | None:
        if self._runoff_rule is _UNSET:
            self._runoff_rule = applicable_runoff_rule(self.race, self.settings.runoff_rules)
        return self._runoff_rule

    def key(self, *parts: object) -> str:
        if self._prefix is None:
            self._prefix = f"{self.feed}/{self.race.key}"
        return "/".join([self._prefix, *map(str, parts)])

    def event(self, kind: EventKind, *key_parts: object, **details: Any) -> Event:
        return Event(kind, self.key(kind.value, *key_parts), self.feed, self.race.key, details)

    def emit(self, kind: EventKind, *key_parts: object, **details: Any) -> None:
        self.events.append(self.event(kind, *key_parts, **details))

    def reporting_at_least(self, share: Fraction) -> bool:
        """Gates wait for the count; a feed with no reporting figures at all is not gated."""
        reporting = self.reporting
        if reporting is None:
            return self.st.precincts_total is None and self.st.expected_vote_pct is None
        return reporting >= share

    def name(self, candidate_id: str | None) -> str | None:
        cand = self.race.candidate(candidate_id) if candidate_id else None
        return cand.name if cand else None


def _first_votes(ctx: _Context, mem: RaceMemory) -> None:
    if mem.had_votes or ctx.total == 0:
        return
    ctx.emit(EventKind.FIRST_VOTES)
    ctx.changes["had_votes"] = True


def _leader(ctx: _Context, mem: RaceMemory) -> None:
    leader = None if ctx.quiet or ctx.st.leader is None else ctx.st.leader.candidate_id
    if leader is None or leader == mem.announced_leader:
        ctx.changes.update(pending_leader=None, pending_polls=0)
        return
    if mem.announced_leader is None:
        ctx.emit(EventKind.TAKES_LEAD, leader=leader)
        ctx.changes.update(announced_leader=leader, pending_leader=None, pending_polls=0)
        return
    # polls the new leader has held: only polls that brought new numbers count
    same = mem.pending_leader == leader
    polls = mem.pending_polls + (1 if ctx.changed else 0) if same else 1
    settings = ctx.settings
    held = polls >= settings.lead_hold_polls or ctx.st.lead_votes >= settings.lead_vote_floor
    if not (held and ctx.reporting_at_least(settings.lead_min_reporting)):
        ctx.changes.update(pending_leader=leader, pending_polls=polls)
        return
    n = mem.lead_changes + 1
    ctx.emit(EventKind.LEAD_CHANGE, n, leader=leader, previous_leader=mem.announced_leader)
    ctx.changes.update(announced_leader=leader, pending_leader=None, pending_polls=0, lead_changes=n)


def _recount(ctx: _Context, mem: RaceMemory) -> None:
    rule = ctx.rule
    if rule is None or ctx.quiet:
        return  # no rule, or no votes: no leader and no tie
    st = ctx.st
    if st.leader is None and not st.tied:
        return
    pos = recount_position(st, rule.threshold)
    if pos is None:
        return
    if pos.inside and not mem.in_recount_zone and ctx.reporting_at_least(ctx.settings.recount_min_reporting):
        ctx.emit(EventKind.RECOUNT_ENTERED, mem.recount_passes + 1, **_recount_details(ctx, rule, pos))
        ctx.changes.update(in_recount_zone=True, recount_passes=mem.recount_passes + 1)
    elif not pos.inside and mem.in_recount_zone:
        ctx.emit(EventKind.RECOUNT_LEFT, mem.recount_passes, **_recount_details(ctx, rule, pos))
        ctx.changes["in_recount_zone"] = False


def _recount_details(ctx: _Context, rule: RecountRule, pos: RecountPosition) -> dict[str, Any]:
    return {
        "votes_to_line": pos.votes_to_line,
        "line_votes": f"{pos.line_votes.numerator}/{pos.line_votes.denominator}",
        "lead_votes": ctx.st.lead_votes,
        "leader": ctx.st.leader.candidate_id if ctx.st.leader else None,
        "citation": rule.citation,
        "general_only": rule.general_only,
        "waivable": rule.waivable,
    }


def _write_ins(ctx: _Context, mem: RaceMemory) -> None:
    """Alabama counties must tally write-ins when they exceed the margin: worth saying at once."""
    if ctx.quiet and not mem.write_ins_exceed:
        return  # no votes: nothing to exceed, and nothing to withdraw
    st = ctx.st
    unresolved = sum(c.votes for c in st.candidates if c.pseudo)
    # a tie (margin 0) with any write-in is the clearest case of all
    exceeds = st.total_votes > 0 and unresolved > st.lead_votes
    if exceeds and not mem.write_ins_exceed and ctx.reporting_at_least(ctx.settings.recount_min_reporting):
        n = mem.write_ins_passes + 1
        ctx.emit(EventKind.WRITE_INS_EXCEED_MARGIN, n, unresolved_votes=unresolved, lead_votes=st.lead_votes)
        ctx.changes.update(write_ins_exceed=True, write_ins_passes=n)
    elif not exceeds and mem.write_ins_exceed:
        ctx.changes["write_ins_exceed"] = False


def _out_of_reach(ctx: _Context, mem: RaceMemory) -> None:
    """An arithmetic fact about the estimate, never a call: the call comes only from the feed.

    ``bot.core.margins.hurdle``'s ``out_of_reach`` without its share, on integers: the lead is
    larger than every vote left (with nothing left, any lead is; a leader leads by one vote or more)."""
    if ctx.quiet:
        return  # no votes, no leader
    st = ctx.st
    if st.runner_up is None:
        return  # no hurdle: no leader, or nobody to trail (``standing`` names a runner-up only with a leader)
    outstanding = ctx.outstanding
    if outstanding is None:
        return
    lead = st.lead_votes
    if outstanding > 0 and lead > outstanding and not ctx.race.winners:
        if not mem.out_of_reach:
            n = mem.out_of_reach_passes + 1
            ctx.emit(
                EventKind.OUT_OF_REACH,
                n,
                trailer=st.runner_up.candidate_id,
                outstanding=outstanding,
                lead_votes=lead,
                method=ctx.left.method.value,
            )
            ctx.changes.update(out_of_reach=True, out_of_reach_passes=n)
    elif lead <= outstanding:
        ctx.changes["out_of_reach"] = False


def _runoffs(ctx: _Context, mem: RaceMemory) -> None:
    """'Headed for a runoff', 'runoff: A vs B' (or, in a top-two primary, 'A and B advance') and
    'avoids a runoff', each once, from the count and the estimate of the votes left: with no
    estimate nothing is claimed unless every vote is in. The feed's own calls and runoff flags
    win: while the feed has spoken we say nothing, and when it withdraws its runoff flags our
    reckoning is withdrawn with it (and stays quiet until the feed flags a runoff again)."""
    race = ctx.race
    feed_runoff = bool(race.runoff) or race.call_status is CallStatus.RUNOFF
    if feed_runoff or race.winners:
        if feed_runoff and mem.runoff_silenced:
            ctx.changes["runoff_silenced"] = False
        return
    if mem.runoff and not race.runoff:  # the feed withdrew its runoff flags
        if mem.runoff_headed or mem.runoff_pair:
            n = mem.runoff_passes + 1
            ctx.emit(EventKind.RUNOFF_WITHDRAWN, n, previous_pair=list(mem.runoff_pair), previous_headed=mem.runoff_headed)
            ctx.changes["runoff_passes"] = n
        ctx.changes.update(runoff_headed=False, runoff_pair=(), runoff_silenced=True)
        return
    if mem.runoff_silenced or ctx.total == 0:
        return
    rule = ctx.runoff_rule
    if rule is None:
        return
    # certain for every split of the votes left up to the top of the estimate's range
    estimate = ctx.left
    left = estimate.high if estimate.high is not None else estimate.votes
    pos = runoff_position(ctx.st, rule, left)
    if not pos.possible or pos.leader is None:
        return
    base = {
        **rule.to_facts(),
        "leader": pos.leader.candidate_id,
        "leader_votes": pos.leader.votes,
        "total_votes": ctx.st.total_votes,
        "outstanding": left,
        "method": estimate.method.value,
    }
    n = mem.runoff_passes
    headed = mem.runoff_headed
    if rule.format is RunoffFormat.THRESHOLD:
        if pos.reachable is False and not headed:
            n += 1
            ctx.emit(EventKind.RUNOFF_HEADED, n, **base)
            headed = True
            ctx.changes["runoff_headed"] = True
        # "avoids a runoff" only where one was in play: three or more names, or write-ins
        in_play = sum(1 for c in ctx.st.candidates if not c.pseudo) >= 3 or ctx.st.total_votes > sum(
            c.votes for c in ctx.st.candidates if not c.pseudo
        )
        if pos.clears and in_play and not mem.runoff_avoided:
            n += 1
            ctx.emit(EventKind.RUNOFF_AVOIDED, n, **base)
            ctx.changes["runoff_avoided"] = True
    pair_due = rule.format is RunoffFormat.TOP_TWO or headed
    if pair_due and pos.pair is not None and not mem.runoff_pair:
        n += 1
        ctx.emit(EventKind.RUNOFF_PAIR, n, "-".join(sorted(pos.pair)), **base, candidates=list(pos.pair))
        ctx.changes["runoff_pair"] = pos.pair
    if n != mem.runoff_passes:
        ctx.changes["runoff_passes"] = n


def _calls(ctx: _Context, mem: RaceMemory) -> None:
    """Calls come from the feed only (X and R flags). ``calls`` counts call decisions (a call, a
    runoff, a withdrawal), so each one gets a key of its own even when the feed flip-flops."""
    race = ctx.race
    if not race.winners and not race.runoff and mem.winners == () and mem.runoff == ():
        return  # no call, none before: nothing to say or remember
    winners, runoff = tuple(sorted(race.winners)), tuple(sorted(race.runoff))
    calls = mem.calls
    new_call = bool(winners) and winners != mem.winners
    new_runoff = bool(runoff) and runoff != mem.runoff
    if new_call or new_runoff:
        calls += 1
        if new_call:
            ctx.emit(EventKind.RACE_CALLED, calls, winners=list(winners))
            if (g := gain_details(race, ctx.settings.context)) is not None:
                ctx.emit(EventKind.SEAT_GAIN, calls, **g)
            _balance(ctx, calls)
        if new_runoff:
            ctx.emit(EventKind.RUNOFF, calls, "-".join(runoff), candidates=list(runoff))
    elif not winners and not runoff and (mem.winners or mem.runoff):
        calls += 1
        ctx.emit(
            EventKind.RACE_UNCALLED,
            calls,
            previous_winners=list(mem.winners),
            previous_runoff=list(mem.runoff),
            # the names as the race gives them now: the line names people, not feed ids
            names={cid: ctx.name(cid) or cid for cid in (*mem.winners, *mem.runoff)},
        )
        if mem.winners:
            _balance(ctx, calls)
    ctx.changes.update(winners=winners, runoff=runoff, calls=calls)


def _balance(ctx: _Context, calls: int) -> None:
    """What a call (or a withdrawn call) does to its chamber: 'Senate: Republicans 51, …'."""
    tally = tally_details(ctx.race, ctx.races, ctx.settings.context)
    if tally is not None:
        ctx.emit(EventKind.BALANCE_OF_POWER, calls, tally=tally)


def _statuses(ctx: _Context, mem: RaceMemory) -> None:
    race = ctx.race
    if race.race_call_status == mem.race_call_status and race.tabulation_status == mem.tabulation_status:
        return  # the feed's words as last seen: nothing to say or remember
    n = mem.status_changes
    for field_name, new in (
        ("race_call_status", race.race_call_status),
        ("tabulation_status", race.tabulation_status),
    ):
        old = getattr(mem, field_name)
        if new == old or new == "Called":
            continue
        if new in NOTABLE_STATUSES or old in NOTABLE_STATUSES and new is not None:
            # counted, so "Too Close to Call" again after a spell without it is a new alert
            n += 1
            ctx.emit(EventKind.STATUS_CHANGED, n, field_name, new, status=new, previous=old, field=field_name)
    ctx.changes.update(race_call_status=race.race_call_status, tabulation_status=race.tabulation_status, status_changes=n)


def _reporting(ctx: _Context, mem: RaceMemory) -> None:
    if ctx.total == 0:
        return
    share = ctx.reporting
    if share is None:
        return
    # share ≥ m % as integers: share is num/den with den > 0
    num, den = share.numerator, share.denominator
    crossed = [m for m in ctx.settings.milestones if m < 100 and num * 100 >= m * den and m not in mem.milestones]
    if crossed:
        ctx.changes["milestones"] = tuple(sorted(set(mem.milestones) | set(crossed)))
        # One line for the highest threshold crossed: a feed that jumps 20 % → 80 % says "75 %".
        if num < den:
            ctx.emit(EventKind.MILESTONE, max(crossed), percent=max(crossed))
    # "All precincts": precincts when the feed counts them (AP's eevp can reach 100 before the
    # last precinct, or stay below it after), else the expected vote.
    complete = _all_precincts(ctx.st) if ctx.st.precincts_total else num >= den
    if complete and not mem.all_reporting:
        ctx.emit(EventKind.ALL_REPORTING)
        ctx.changes["all_reporting"] = True


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


def _counties_complete(ctx: _Context, mem: RaceMemory) -> list[Event]:
    """'All precincts in' for each county the first time it is complete (the events; the memory
    change goes into ``ctx``)."""
    known = mem.counties_complete
    # most evaluations complete no county: one pass over the rows says so before any set or dict
    if not any(_newly_complete(unit, known) for unit in ctx.race.units):
        return []
    done = set(known)
    events = []
    for unit in _county_rows(ctx.race).values():
        if _newly_complete(unit, done):
            unit_id = unit.id
            done.add(unit_id)
            swing = unit_swing_facts(ctx.race, unit, ctx.settings.context)
            events.append(
                ctx.event(
                    EventKind.COUNTY_COMPLETE, unit_id, unit=unit.name, unit_id=unit_id, votes=dict(unit.votes), swing=swing
                )
            )
    if events:
        ctx.changes["counties_complete"] = tuple(sorted(done))
    return events


def _newly_complete(unit: ReportingUnit, done: Collection[str]) -> bool:
    """A county fully in, with votes, whose 'all precincts in' line has not been given yet."""
    return unit.level is Level.COUNTY and unit.fully_reporting and unit.total_votes != 0 and unit.id not in done


def _flip(ctx: _Context, mem: RaceMemory) -> None:
    """'The reported counties' swing, applied to the baseline, would flip the state': an
    indication, announced once when it appears and once when it goes away, never a call."""
    fi = flip_state(ctx.race, ctx.settings.context)
    if fi is None:
        return
    crossed = flip_crossed(fi, mem.flip_indicated, ctx.settings.context.flip_min_margin)
    if crossed is None:
        return
    n = mem.flip_passes + (1 if crossed else 0)
    ctx.emit(EventKind.FLIP_INDICATION, n, "on" if crossed else "off", **flip_facts(fi))
    ctx.changes.update(flip_indicated=crossed, flip_passes=n)
