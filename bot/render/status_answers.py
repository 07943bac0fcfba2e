"""What ``/results status`` and the subscription commands say. The handler reads the store
(feed health, the outbox, a channel's subscriptions); these only say it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.core.answer import Answer, Line, code, line, strong
from bot.core.commands import state_of
from bot.core.model import Snapshot
from bot.render.answer_parts import clip, note
from bot.render.text import clock_text, local_time

LEVEL_MEANING = {
    "quiet": "leads and calls only",
    "cards": "race news: leads, calls, recount line and reporting milestones (no county batches or feed notices)",
    "all": "everything: race news, county batches and feed notices",
}


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
            lines.append(line(f"    last error: {clip(' '.join(str(h.last_error).split()), 300)}"))
    if not health:
        lines.append(line("No feed has been polled yet."))
    pending, sent, failed = (backlog.get(k, 0) for k in ("pending", "sent", "failed"))
    lines.append(line(f"Alert outbox: {pending:,} pending · {sent:,} sent · {failed:,} failed"))
    for platform, channel, error in failures:
        lines.append(line(f"    not delivering to {platform} {channel}: {clip(' '.join(error.split()), 200)}"))
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
        return note(f"This channel no longer gets {name} alerts.")
    return note(f"This channel was not subscribed to {name}; ", code("/results subscriptions"), " lists what it gets.")


def subscriptions_answer(rows: Sequence[tuple[str, str]], configured: bool = False) -> Answer:
    """``rows``: (scope, level) of this channel's subscriptions."""
    if not rows:
        return note(
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
    return note("Subscriptions are per channel: run this in the channel that should get the alerts.")
