"""Which races a channel follows: their calls, uncalls and lead changes come one by one, and only
they get a live card.

Why a channel follows anything less than every race: on a national night a channel that followed
all 7,000 races would get 7,000 calls and 7,000 cards. What it follows is named in the config
(``[alerts] follow``, per channel ``[alerts.channel_follow]``): states, offices, race keys and the
night's ``key_races`` list, joined by *or* (a Georgia desk follows Georgia and every Senate race).
A channel's ``/results subscribe`` states are followed too.

The default (no ``follow`` configured) keeps the one-race night as it always was: a feed of at
most ``small_feed`` races (20) is followed whole; in a bigger feed only the key races and the
subscribed states are, and the rest reaches the channel in digests (see ``bot.core.digest``).

Pure: settings and race facts in, a yes or no out. Offices are compared as the shared vocabulary's
kinds (``bot.core.offices``), so "senate", "S" (AP's officeID) and a feed's "UNITED STATES SENATOR"
are the same office.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.events import RaceFacts
from bot.core.offices import AP_OFFICE_IDS, KINDS, classify

#: a feed with at most this many races is followed whole by a channel with no ``follow``.
SMALL_FEED = 20


def office_kind(word: str) -> str | None:
    """'senate' / 'S' / 'Senate' → 'senate'; ``None`` for a word the vocabulary does not know."""
    text = word.strip()
    if text.upper() in AP_OFFICE_IDS:
        return AP_OFFICE_IDS[text.upper()]
    folded = text.lower().replace(" ", "_").replace("-", "_")
    return folded if folded in KINDS else None


@dataclass(frozen=True, slots=True)
class Follow:
    """One channel's follow list. ``everything``: ``True`` every race, ``False`` only the lists,
    ``None`` (nothing configured) every race of a small feed, else only the lists."""

    states: frozenset[str] = frozenset()
    offices: frozenset[str] = frozenset()  # office kinds
    races: frozenset[str] = frozenset()  # race keys, upper case
    key_races: bool = False
    everything: bool | None = None

    @classmethod
    def of(
        cls,
        states: Iterable[str] = (),
        offices: Iterable[str] = (),
        races: Iterable[str] = (),
        key_races: bool = False,
        everything: bool | None = None,
    ) -> Follow:
        kinds = {k for o in offices if (k := office_kind(o)) is not None}
        return cls(
            frozenset(s.strip().upper() for s in states),
            frozenset(kinds),
            frozenset(r.strip().upper() for r in races),
            key_races,
            everything,
        )


@dataclass(frozen=True, slots=True)
class FollowBook:
    """Every channel's follow list, the night's key races and what counts as a small feed."""

    default: Follow = field(default_factory=Follow)
    channels: Mapping[str, Follow] = field(default_factory=dict)
    key_races: frozenset[str] = frozenset()
    small_feed: int = SMALL_FEED

    def for_channel(self, channel: str) -> Follow:
        return self.channels.get(channel, self.default)

    def follows(self, channel: str, facts: RaceFacts | None, *, feed_races: int, subscribed: Iterable[str] = ()) -> bool:
        """Whether ``channel`` follows the race of ``facts`` in a feed of ``feed_races`` races.
        No facts (a feed notice, the balance of power): not a race, never followed."""
        if facts is None:
            return False
        follow = self.for_channel(channel)
        if follow.everything or (follow.everything is None and self._unconfigured(follow) and feed_races <= self.small_feed):
            return True
        key = facts.race_key.upper()
        state = facts.state.upper()
        subs = {s.upper() for s in subscribed}  # /results subscribe: states (and race keys)
        if key in follow.races or state in follow.states or state in subs or key in subs:
            return True
        if (follow.key_races or self._unconfigured(follow)) and key in self.key_races:
            return True  # the key races: followed when asked for, and by a channel that names nothing
        if follow.offices:
            kind = classify(facts.office).kind
            if kind in follow.offices:
                return True
        return False

    @staticmethod
    def _unconfigured(follow: Follow) -> bool:
        return not (follow.states or follow.offices or follow.races or follow.key_races)


def describe(follow: Follow, small_feed: int) -> str:
    """A follow list in words, for check-config."""
    if follow.everything:
        return "every race"
    parts = [
        ", ".join(sorted(follow.states)),
        ", ".join(sorted(follow.offices)),
        ", ".join(sorted(follow.races)),
        "the key races" if follow.key_races else "",
    ]
    named = "; ".join(p for p in parts if p)
    if follow.everything is None and not named:
        return f"every race of a feed of at most {small_feed} races, else the key races and subscribed states"
    return named or "nothing (digests only)"


def describe_alerts(alerts: Any, book: FollowBook) -> str:
    """check-config's line about a national night: the digest threshold, the budget, who follows what."""
    budget = f"{alerts.messages_per_minute} messages a minute per channel" if alerts.messages_per_minute else "no budget"
    lines = [
        f"digests: routine news of more than {alerts.digest_after_races} races in one poll; {budget}; follows {describe(book.default, book.small_feed)}"
    ]
    lines += [f"  {channel} follows {describe(f, book.small_feed)}" for channel, f in sorted(book.channels.items())]
    return "\n".join(lines)


__all__ = ["SMALL_FEED", "Follow", "FollowBook", "describe", "describe_alerts", "office_kind"]
