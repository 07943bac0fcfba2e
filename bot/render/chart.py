"""The night's chart: the margin through the night, the count's progress, the recount band and
the moments the channel was told about (``/results … chart``, and after a call).

What it draws (numbers from ``bot.core.night``; rounding only in labels):

* the margin of a fixed pair (the Democrat over the Republican, else the two leaders at the
  end) in points of all votes, shaded in the party colour of whoever is ahead; the scale is
  linear within ±1 point and logarithmic beyond (``symlog``), because a night that starts
  R+46 and ends D+1.5 would otherwise draw its recount band as a hairline;
* the share of the count in (expected vote, else precincts) on the right-hand axis;
* the state's automatic-recount band (±0.5 points in Alabama, Ala. Code § 17-16-20), shaded;
* the moments: lead changes, the time inside the recount zone, write-ins exceeding the margin,
  the call, found by replaying the alert rules over the history (``night_moments``).

Times are on the state's clock. The alt text states the numbers: the final margin and votes,
when the lead changed, the recount zone, when the race was called.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from fractions import Fraction
from zoneinfo import ZoneInfo

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator

from bot.core.events import EventKind
from bot.core.history import HistoryPoint
from bot.core.model import Candidate, Race
from bot.core.night import MarginSeries, Moment, margin_series, night_moments, recount_threshold
from bot.core.rules import RuleSettings
from bot.core.states import lookup
from bot.render.figure import (
    INK,
    MUTED,
    draw_png,
    drawing,
    file_stem,
    new_figure,
    party_colour,
    party_letter,
    race_label,
    surname,
)
from bot.render.numbers import percent, votes
from bot.render.picture import Picture
from bot.render.text import clock_text, on_clock

#: points within which the margin axis is linear (beyond: logarithmic)
LINEAR_POINTS = 1.0
RECOUNT_FILL = "#f2c14e"
REPORTING_INK = "#8c8c8c"
#: marker and words of each moment in the legend
_MOMENT_STYLE = {
    EventKind.LEAD_CHANGE: ("^", "lead change"),
    EventKind.WRITE_INS_EXCEED_MARGIN: ("D", "write-ins > margin"),
    EventKind.RACE_CALLED: ("o", "called"),
    EventKind.RECOUNT_ENTERED: ("|", "recount zone"),
    EventKind.RECOUNT_LEFT: ("|", "recount zone"),
}


@dataclass(frozen=True, slots=True)
class ChartData:
    """What the chart plots, in plot units: checked by tests against the stored history."""

    times: tuple[datetime, ...]
    #: margin of ``series.first`` over ``series.second`` in points (None before any vote)
    margins: tuple[float | None, ...]
    #: share of the count in, 0–100 (None when the feed gives no reporting figures)
    reporting: tuple[float | None, ...]
    band: float | None  # the recount line in points (0.5 for Alabama)
    moments: tuple[Moment, ...]
    series: MarginSeries
    points: tuple[HistoryPoint, ...]


def chart_data(
    race: Race, history: Sequence[HistoryPoint], moments: Sequence[Moment], *, threshold: Fraction | None = None
) -> ChartData | None:
    """``None`` when there is nothing to draw: no points, or fewer than two named candidates."""
    series = margin_series(race, history)
    if series is None or not history:
        return None
    return ChartData(
        times=tuple(p.at for p in history),
        margins=tuple(float(m * 100) if m is not None else None for m in series.margins),
        reporting=tuple(float(r * 100) if r is not None else None for r in series.reporting),
        band=float(threshold * 100) if threshold is not None else None,
        moments=tuple(moments),
        series=series,
        points=tuple(history),
    )


def night_chart(
    race: Race,
    history: Sequence[HistoryPoint],
    moments: Sequence[Moment],
    *,
    recount_threshold: Fraction | None = None,
    filename: str | None = None,
) -> Picture | None:
    """The chart as a PNG with its title and alt text; ``None`` when there is nothing to draw.
    ``recount_threshold`` is the state's recount line as a share (Alabama: 1/200)."""
    data = chart_data(race, history, moments, threshold=recount_threshold)
    if data is None:
        return None
    tz = _zone(race)
    png = draw_png(lambda fig: paint_chart(fig, race, data, tz))
    return Picture(
        png=png,
        filename=filename or f"{file_stem(race)}-chart.png",
        title=f"{race_label(race)}: the night's margin",
        alt_text=alt_text(race, data, tz),
    )


def race_chart(race: Race, history: Sequence[HistoryPoint], rules: RuleSettings) -> Picture | None:
    """``night_chart`` with the moments and the recount line from the rules' own settings."""
    return night_chart(race, history, night_moments(race, history, rules), recount_threshold=recount_threshold(race, rules))


def chart_figure(race: Race, data: ChartData) -> Figure:
    """The figure itself, for tests that read what was plotted (artists carry gids)."""
    with drawing():
        fig = new_figure()
        paint_chart(fig, race, data, _zone(race))
        return fig


def paint_chart(fig: Figure, race: Race, data: ChartData, tz: tzinfo) -> None:
    first, second = data.series.first, data.series.second
    up, down = party_colour(first), party_colour(second)
    ax = fig.add_axes((0.13, 0.17, 0.74, 0.64))
    xs = [_x(t) for t in data.times]
    have = [(x, m) for x, m in zip(xs, data.margins, strict=True) if m is not None]
    mx = [x for x, _ in have]
    my = [m for _, m in have]
    ax.set_yscale("symlog", linthresh=LINEAR_POINTS, linscale=1.0)
    if data.band is not None:
        ax.axhspan(-data.band, data.band, color=RECOUNT_FILL, alpha=0.35, lw=0, zorder=1, gid="recount-band")
    ax.axhline(0, color=MUTED, lw=1, zorder=2)
    if have:
        ax.fill_between(mx, my, 0, where=[m >= 0 for m in my], interpolate=True, color=up, alpha=0.18, lw=0, zorder=2)
        ax.fill_between(mx, my, 0, where=[m <= 0 for m in my], interpolate=True, color=down, alpha=0.18, lw=0, zorder=2)
        ax.plot(mx, my, color=INK, lw=2.6, zorder=4, gid="margin", drawstyle="default")
    _paint_zone(ax, data, xs)
    handles = _paint_moments(ax, data, xs, up, down, tz)
    top = max([abs(m) for m in my] + [data.band or 0, LINEAR_POINTS * 2])
    ax.set_ylim(-top * 1.15, top * 1.15)
    ticks = _margin_ticks(top)
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_minor_locator(FixedLocator([]))
    ax.set_yticklabels([_tick_label(t, first, second) for t in ticks])
    ax.set_xlim(xs[0], xs[-1] + (xs[-1] - xs[0]) * 0.02 if len(xs) > 1 else xs[0] + 1 / 24)
    hours = _hour_ticks(data.times[0], data.times[-1], tz)
    ax.set_xticks([_x(h) for h in hours], [_hour_label(h) for h in hours])
    ax.tick_params(axis="both", length=0, pad=6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color="#e4e4e4", lw=1, zorder=0)

    share = ax.twinx()
    have_share = [(x, r) for x, r in zip(xs, data.reporting, strict=True) if r is not None]
    if have_share:
        share.plot(
            [x for x, _ in have_share],
            [r for _, r in have_share],
            color=REPORTING_INK,
            lw=1.8,
            ls=(0, (4, 3)),
            zorder=3,
            gid="reporting",
        )
    share.set_ylim(0, 105)
    share.set_yticks([0, 50, 100], ["0%", "50%", "100%"])
    share.tick_params(axis="y", length=0, colors=REPORTING_INK, pad=4)
    for side in ("top", "left", "bottom"):
        share.spines[side].set_visible(False)
    share.spines["right"].set_color(REPORTING_INK)
    ax.set_zorder(share.get_zorder() + 1)
    ax.patch.set_visible(False)

    fig.text(0.03, 0.93, race_label(race), fontsize=21, fontweight="bold", va="center")
    fig.text(0.03, 0.86, _subtitle(data, tz), fontsize=15, color=INK, va="center")
    zone = on_clock(data.times[-1], tz).strftime("%Z")
    footer = f"margin {_short(first)} − {_short(second)}, points · times {zone}"
    fig.text(0.03, 0.05, footer, fontsize=12, color=MUTED, va="center")
    fig.text(0.97, 0.05, "dashed: share counted", fontsize=12, color=REPORTING_INK, ha="right", va="center")
    if handles:
        ax.legend(handles=handles, loc="upper left", frameon=True, framealpha=0.92, edgecolor="#dddddd", handlelength=1.2)


def _paint_zone(ax: Axes, data: ChartData, xs: list[float]) -> None:
    """The spans inside the recount zone, as the rules announced them (entered … left)."""
    start: float | None = None
    for m in data.moments:
        if m.kind is EventKind.RECOUNT_ENTERED:
            start = xs[m.index]
        elif m.kind is EventKind.RECOUNT_LEFT and start is not None:
            ax.axvspan(start, xs[m.index], color=RECOUNT_FILL, alpha=0.35, lw=0, zorder=1, gid="recount-zone")
            start = None
    if start is not None:
        ax.axvspan(start, xs[-1], color=RECOUNT_FILL, alpha=0.35, lw=0, zorder=1, gid="recount-zone")


def _paint_moments(ax: Axes, data: ChartData, xs: list[float], up: str, down: str, tz: tzinfo) -> list[Artist]:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Artist] = []
    seen: set[str] = set()
    for m in data.moments:
        marker, words = _MOMENT_STYLE[m.kind]
        y = data.margins[m.index]
        when = _clock(m.at, tz)
        if m.kind in (EventKind.RECOUNT_ENTERED, EventKind.RECOUNT_LEFT):
            if "zone" not in seen:
                seen.add("zone")
                handles.append(Patch(color=RECOUNT_FILL, alpha=0.6, label=f"recount zone {_zone_span(data, tz)}"))
            continue
        colour = up if (y or 0) >= 0 else down
        if m.kind is EventKind.RACE_CALLED:
            ax.axvline(xs[m.index], color=INK, lw=1.2, ls=(0, (2, 2)), zorder=3, gid="moment:race_called")
        ax.plot(
            [xs[m.index]],
            [y or 0.0],
            marker=marker,
            ms=13,
            color=colour,
            mec="white",
            mew=1.5,
            zorder=6,
            gid=f"moment:{m.kind.value}",
        )
        handles.append(Line2D([], [], marker=marker, ms=11, color=INK, lw=0, label=f"{words} {when}"))
    return handles


def _x(moment: datetime) -> float:
    """A moment as matplotlib's x (days since its epoch)."""
    return float(date2num(moment))  # type: ignore[no-untyped-call]  # matplotlib.dates ships no annotations for it


def _zone_span(data: ChartData, tz: tzinfo) -> str:
    spans = []
    start: Moment | None = None
    for m in data.moments:
        if m.kind is EventKind.RECOUNT_ENTERED:
            start = m
        elif m.kind is EventKind.RECOUNT_LEFT and start is not None:
            spans.append(f"{_clock(start.at, tz)}–{_clock(m.at, tz)}")
            start = None
    if start is not None:
        spans.append(f"from {_clock(start.at, tz)}")
    return ", ".join(spans)


def _margin_ticks(top: float) -> list[float]:
    """0, the linear edge and the powers of ten up to the margin's range, on both sides: few
    enough to read in the preview."""
    ticks = [0.0, LINEAR_POINTS, -LINEAR_POINTS]
    step = 10.0
    while step <= top * 1.15:
        ticks += [step, -step]
        step *= 10
    return sorted(ticks)


def _tick_label(points: float, first: Candidate, second: Candidate) -> str:
    if points == 0:
        return "0"
    who = first if points > 0 else second
    return f"{_letter(who)}+{abs(points):g}"


def alt_text(race: Race, data: ChartData, tz: tzinfo) -> str:
    """The picture's numbers in words (screen readers, the text fallback)."""
    first, second = data.series.first, data.series.second
    last = data.series.margins[-1]
    parts = [f"{race_label(race)}: the margin of {_named(first)} over {_named(second)} through the night, in points."]
    if last is not None:
        point = data.points[-1]
        lead = point.votes.get(first.id, 0) - point.votes.get(second.id, 0)
        leader, trailer = (first, second) if lead >= 0 else (second, first)
        share_in = data.series.reporting[-1]
        tail = f", {percent(share_in, 0)} % counted" if share_in is not None else ""
        if lead == 0:
            parts.append(f"Last: {first.name} and {second.name} tied, {votes(point.total_votes)} votes{tail}.")
        else:
            # each one's share of all votes, as /results states it (49.92 %), not only the votes
            won = {c.id: f" ({percent(Fraction(point.votes.get(c.id, 0), point.total_votes))} %)" for c in (leader, trailer)}
            parts.append(
                f"Last: {leader.name} {votes(point.votes.get(leader.id, 0))}{won[leader.id]}, {trailer.name} "
                f"{votes(point.votes.get(trailer.id, 0))}{won[trailer.id]}: {leader.name} leads by {votes(abs(lead))} "
                f"votes ({percent(abs(last))} points) of {votes(point.total_votes)}{tail}."
            )
    else:
        parts.append("No votes counted yet.")
    first_lead = _first_leader(data)
    if first_lead is not None:
        parts.append(f"{first_lead[0].name} led first, from {_clock(first_lead[1], tz)}.")
    for m in data.moments:
        when = _clock(m.at, tz)
        who = race.candidate(m.candidate_id) if m.candidate_id else None
        if m.kind is EventKind.LEAD_CHANGE:
            parts.append(f"{who.name if who else 'The other candidate'} took the lead at {when}.")
        elif m.kind is EventKind.RECOUNT_ENTERED:
            band = f" (within {data.band:g} points)" if data.band is not None else ""
            parts.append(f"The margin entered the automatic-recount zone{band} at {when}.")
        elif m.kind is EventKind.RECOUNT_LEFT:
            parts.append(f"It left the recount zone at {when}.")
        elif m.kind is EventKind.WRITE_INS_EXCEED_MARGIN:
            parts.append(f"Write-ins exceeded the margin at {when}.")
        elif m.kind is EventKind.RACE_CALLED:
            parts.append(f"Called for {who.name if who else 'the winner'} at {when}.")
    # a sentence that ends on "p.m." takes no second full stop
    return " ".join(parts).replace("..", ".")


def _subtitle(data: ChartData, tz: tzinfo) -> str:
    first, second = data.series.first, data.series.second
    last = data.series.margins[-1]
    called = next((m for m in reversed(data.moments) if m.kind is EventKind.RACE_CALLED), None)
    bits = []
    if last is not None:
        leader = first if last >= 0 else second
        bits.append("tied" if last == 0 else f"{_short(leader)} +{percent(abs(last))} points")
    if data.series.reporting[-1] is not None:
        bits.append(f"{percent(data.series.reporting[-1], 0)}% counted")
    if called is not None:
        bits.append(f"called {_clock(called.at, tz)}")
    return " · ".join(bits)


def _first_leader(data: ChartData) -> tuple[Candidate, datetime] | None:
    for t, m in zip(data.times, data.series.margins, strict=True):
        if m is not None and m != 0:
            return (data.series.first if m > 0 else data.series.second), t
    return None


def _hour_ticks(start: datetime, end: datetime, tz: tzinfo) -> list[datetime]:
    """Whole hours on the state's clock between the first and last point, at most five."""
    local = on_clock(start, tz).replace(minute=0, second=0, microsecond=0)
    hours = []
    try:  # a placeholder time (year 1 or 9999) has no hour before or after it on the calendar
        local += timedelta(hours=1)
        while local <= on_clock(end, tz):
            hours.append(local)
            local += timedelta(hours=1)
    except OverflowError:
        pass
    while len(hours) > 5:
        hours = hours[::2]
    return hours


def _hour_label(moment: datetime) -> str:
    return moment.strftime("%-I %p").replace("AM", "a.m.").replace("PM", "p.m.")


def _clock(moment: datetime, tz: tzinfo) -> str:
    """'10:07 p.m.' (the zone is said once, in the subtitle's context)."""
    return clock_text(moment, tz).rsplit(" ", 1)[0]


def _zone(race: Race) -> tzinfo:
    state = lookup(race.state)
    return state.tz if state is not None else ZoneInfo("UTC")


def _letter(candidate: Candidate) -> str:
    return party_letter(candidate) or surname(candidate)[:1].upper()


def _short(candidate: Candidate) -> str:
    letter = party_letter(candidate)
    return f"{surname(candidate)} ({letter})" if letter else surname(candidate)


def _named(candidate: Candidate) -> str:
    return _short(candidate).replace(f"{surname(candidate)} ", f"{candidate.name} ", 1)
