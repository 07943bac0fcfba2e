"""The ``/results`` grammar: command text → a ``Command``. Pure: no store, no Slack, no clock.

    /results                          usage, examples and the states the bot tracks
    /results help
    /results alabama | AL | Ala.      a state's races (one: its card; several: a compact list)
    /results alabama senate           …only that office
    /results alabama jefferson        a county (or town) of that state's races
    /results rhode island gop | dem   one party's primaries (also: republican, democratic)
    /results gwinnett                 a county without its state, when only one tracked state has it
    /results warnock                  a candidate's races, by surname or full name
    /results senate | house | governor | president
                                      that office across states, closest first
    /results close [hurdle]           the closest races anywhere, by margin (or by the trailer's hurdle)
    /results alabama swing            the state's counties by swing from the baseline election
    /results alabama chart            the night's chart of the state's race (a picture, to the asker)
    /results alabama map [margin]     its county map: swing since the baseline election (or the margin)
    /results balance [senate|house]   the chamber's balance of power after the calls so far
    /results status                   feed health and the outbox backlog
    /results subscribe alabama [quiet|all|cards]
    /results unsubscribe alabama
    /results subscriptions            what this channel is told

``share`` anywhere in a read-only query posts the answer in the channel instead of privately.

User text is hostile until cleaned: it may be long, carry control characters, Slack mentions
(``<@U123>``, ``<!channel>``, escaped by Slack as entities or not) or mrkdwn. ``clean`` drops all
of that before any matching, and ``echo`` is the only way a word of it goes back to Slack.
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import us

from bot.core.offices import NAMES as OFFICE_WORD_NAMES
from bot.core.offices import OFFICE_IDS as OFFICE_ID_OF
from bot.core.states import _EXTRA, State, lookup

MAX_INPUT = 200
MAX_ECHO = 30

HELP_WORDS = frozenset({"help", "?", "usage", "-h", "--help"})
SHARE_WORDS = frozenset({"share", "public"})
STATUS_WORDS = frozenset({"status", "health", "feeds"})
CLOSE_WORDS = frozenset({"close", "closest", "tight", "tightest"})
SUBSCRIBE_WORDS = frozenset({"subscribe", "sub", "follow"})
UNSUBSCRIBE_WORDS = frozenset({"unsubscribe", "unsub", "unfollow", "stop"})
SUBSCRIPTIONS_WORDS = frozenset({"subscriptions", "subs", "following"})
SWING_WORDS = frozenset({"swing", "swings", "shift"})
BALANCE_WORDS = frozenset({"balance", "bop", "control", "tally"})
#: pictures by the words people type (``bot.core.picture_orders.PICTURE_KINDS``); ``map margin``
#: is the margin map, a plain ``map`` (or ``swing map``) the swing map.
PICTURE_WORDS = {"chart": "chart", "graph": "chart", "map": "swing_map"}
MARGIN_WORDS = frozenset({"margin", "margins"})

#: Offices by the words people type; values are the canonical office names of the grammar.
OFFICE_WORDS = {
    "senate": "senate",
    "sen": "senate",
    "senator": "senate",
    "house": "house",
    "rep": "house",
    "reps": "house",
    "representative": "house",
    "congress": "house",
    "governor": "governor",
    "gov": "governor",
    "governors": "governor",
    "president": "president",
    "pres": "president",
    "presidential": "president",
}
#: AP office ids of the canonical offices, and how a sentence names them; which race is which
#: office is the shared vocabulary's call (``bot.core.offices``), whatever the feed calls it.
OFFICE_IDS = {kind: OFFICE_ID_OF[kind] for kind in ("senate", "house", "governor", "president")}
OFFICE_NAMES = {kind: OFFICE_WORD_NAMES[kind] for kind in ("senate", "house", "governor", "president")}
#: Parties by the words people type, in the bot's spelling: a primary night's races by party.
PARTY_WORDS = {
    "gop": "GOP",
    "republican": "GOP",
    "republicans": "GOP",
    "dem": "Dem",
    "dems": "Dem",
    "democrat": "Dem",
    "democrats": "Dem",
    "democratic": "Dem",
}

#: Subscription levels: quiet (leads and calls), cards (race news, no county batches or feed
#: notices), all (everything). ``races`` is the config file's word for ``cards``.
LEVEL_WORDS = {"quiet": "quiet", "all": "all", "cards": "cards", "card": "cards", "races": "cards"}

SUBCOMMANDS = (
    "help",
    "status",
    "close",
    "subscribe",
    "unsubscribe",
    "subscriptions",
    "senate",
    "house",
    "governor",
    "president",
    "swing",
    "balance",
)


@dataclass(frozen=True, slots=True)
class Command:
    """One parsed ``/results``. ``kind`` is one of:

    help · state · office · close · swing (a state's counties by swing) · balance (``office``: a
    chamber, or none for every one configured) · picture (``picture``: chart, swing_map or
    margin_map of the state's race) · status · subscribe · unsubscribe · subscriptions ·
    unknown (``word`` not understood; ``suggestion`` is a state postal code or a subcommand) ·
    too_long (``length`` characters) · needs_state (subscribe/unsubscribe without a state).
    """

    kind: str
    state: str | None = None
    office: str | None = None
    place: str | None = None
    level: str | None = None
    share: bool = False
    word: str | None = None
    suggestion: str | None = None
    suggestion_is_state: bool = False
    by: str = "margin"
    length: int = 0
    verb: str | None = None
    #: one party's primaries ('Dem', 'GOP'), from ``gop``, ``democratic``…
    party: str | None = None
    #: the whole cleaned query of an ``unknown`` command: the answer looks it up among the
    #: tracked places and candidates ("gwinnett", "warnock") before saying it is not understood.
    text: str | None = None
    #: a ``picture`` command's picture (``bot.core.picture_orders.PICTURE_KINDS``)
    picture: str | None = None

    @property
    def read_only(self) -> bool:
        # an unknown word may name a tracked place or a candidate: the answer says which
        return self.kind in ("help", "state", "office", "close", "swing", "balance") or (
            self.kind == "unknown" and bool(self.text)
        )

    @property
    def canonical(self) -> str:
        """The query in the grammar's own words: the cache key and the share button's value."""
        if self.kind == "state":
            return " ".join(p for p in (self.state, self.office, self.party, self.place) if p)
        if self.kind == "office":
            return self.office or ""
        if self.kind == "close":
            return "close" + (" hurdle" if self.by == "hurdle" else "")
        if self.kind == "swing":
            return " ".join(p for p in (self.state, self.office, "swing") if p)
        if self.kind == "balance":
            return " ".join(p for p in ("balance", self.office) if p)
        if self.kind == "picture":
            words = {"chart": "chart", "swing_map": "map", "margin_map": "map margin"}
            return " ".join(p for p in (self.state, self.office, words.get(self.picture or "", "")) if p)
        if self.kind in ("help", "status", "subscriptions"):
            return self.kind
        if self.kind == "unknown":
            return self.text or ""
        return ""


# --- cleaning ---------------------------------------------------------------------------------

_ANGLE = re.compile(r"<[^<>]*>")  # <@U123|name>, <!channel>, <#C1|x>, <http://…|…>
_MARKUP = re.compile(r"[*_~`<>&|]")


def clean(text: str) -> str:
    """Printable words only: no control characters, no Slack mentions, links or mrkdwn."""
    text = html.unescape(text)  # Slack sends &lt; &gt; &amp; for <, >, &
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = _ANGLE.sub(" ", text)
    text = _MARKUP.sub(" ", text)
    text = re.sub(r"(?<!\w)[@!#]+", " ", text)  # a bare @here / !channel / #general is not a state either
    return " ".join(text.split())


def echo(word: str) -> str:
    """A word of user text as it may go back to Slack: cleaned, letters and a little punctuation, clipped."""
    safe = "".join(ch for ch in clean(word) if ch.isalnum() or ch in " .'-,")
    safe = " ".join(safe.split())
    return safe if len(safe) <= MAX_ECHO else safe[: MAX_ECHO - 1] + "…"


def fold(text: str) -> str:
    """Lower case, diacritics dropped: 'Doña Ana' → 'dona ana'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


# --- states -----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _state_keys() -> dict[str, str]:
    """Exact spellings → postal code: names, postal codes, AP and old abbreviations."""
    keys: dict[str, str] = {}
    for st in list(us.states.STATES_AND_TERRITORIES) + [us.states.DC]:
        keys[fold(st.name)] = st.abbr
        keys[st.abbr.lower()] = st.abbr
        if getattr(st, "ap_abbr", None):
            keys[fold(st.ap_abbr).rstrip(".")] = st.abbr
    for short, postal in _EXTRA.items():
        keys[short.rstrip(".")] = postal
    keys["washington d.c"] = keys["washington dc"] = keys["district of columbia"] = "DC"
    return keys


def match_state(words: list[str]) -> tuple[State | None, int]:
    """The longest run of leading words that spells a state exactly (no phonetic guessing)."""
    keys = _state_keys()
    for n in range(min(4, len(words)), 0, -1):
        key = fold(" ".join(words[:n])).rstrip(".")
        postal = keys.get(key) or keys.get(key.replace(".", ""))
        if postal and (state := state_of(postal)) is not None:
            return state, n
    return None, 0


def state_of(postal: str) -> State | None:
    """``bot.core.states.lookup`` for a postal code, DC included (``us`` keeps DC apart)."""
    state = lookup(postal)
    if state is None and postal == "DC":
        dc = us.states.DC
        state = State(dc.abbr, dc.name, dc.fips, ZoneInfo(dc.capital_tz or "America/New_York"))
    return state


def state_suggestion(words: list[str]) -> State | None:
    """'alabma' → Alabama: the closest state name to the first word or two, for "Did you mean …?"."""
    names = {fold(st.name): st.abbr for st in list(us.states.STATES_AND_TERRITORIES) + [us.states.DC]}
    for n in range(min(3, len(words)), 0, -1):
        guess = fold(" ".join(words[:n]))
        if len(guess) < 4:
            continue
        close = difflib.get_close_matches(guess, list(names), n=1, cutoff=0.75)
        if close:
            return state_of(names[close[0]])
    return None


# --- the grammar ------------------------------------------------------------------------------


def parse(text: str) -> Command:
    if len(text) > MAX_INPUT:
        return Command("too_long", length=len(text))
    words = clean(text).split()
    share = any(w.lower() in SHARE_WORDS for w in words)
    words = [w for w in words if w.lower() not in SHARE_WORDS]
    low = [w.lower() for w in words]
    if not words or low[0] in HELP_WORDS:
        return Command("help", share=share)
    head, rest = low[0], words[1:]
    if head in STATUS_WORDS:
        return Command("status")
    if head in SUBSCRIPTIONS_WORDS:
        return Command("subscriptions")
    if head in SUBSCRIBE_WORDS or head in UNSUBSCRIBE_WORDS:
        verb = "subscribe" if head in SUBSCRIBE_WORDS else "unsubscribe"
        level = None
        if verb == "subscribe" and rest and rest[-1].lower() in LEVEL_WORDS:
            level = LEVEL_WORDS[rest[-1].lower()]
            rest = rest[:-1]
        state, n = match_state(rest)
        if state is None or n != len(rest):
            guess = state_suggestion(rest) if rest else None
            return Command(
                "needs_state",
                verb=verb,
                word=echo(" ".join(rest)) or None,
                suggestion=guess.postal if guess else None,
                suggestion_is_state=guess is not None,
            )
        return Command(verb, state=state.postal, level=level or ("all" if verb == "subscribe" else None))
    if head in BALANCE_WORDS or (head in OFFICE_WORDS and any(w.lower() in BALANCE_WORDS for w in rest)):
        office = next((OFFICE_WORDS[w] for w in low if w in OFFICE_WORDS), None)
        return Command("balance", office=office, share=share)
    if head in SWING_WORDS:
        state, n = match_state(rest)
        if state is None:
            guess = state_suggestion(rest) if rest else None
            return Command(
                "needs_state",
                verb="swing",
                word=echo(" ".join(rest)) or None,
                suggestion=guess.postal if guess else None,
                suggestion_is_state=guess is not None,
            )
        return _state_command(state, [*rest[n:], "swing"], share, None)
    if head in CLOSE_WORDS:
        return Command("close", share=share, by="hurdle" if any(w.lower() == "hurdle" for w in rest) else "margin")
    if head in OFFICE_WORDS:
        office = OFFICE_WORDS[head]
        if rest:
            state, n = match_state(rest)
            if state is not None:
                return _state_command(state, rest[n:], share, office)
        return Command("office", office=office, share=share)
    state, n = match_state(words)
    if state is not None:
        return _state_command(state, words[n:], share, None)
    text = " ".join(words)[:60]
    guess = state_suggestion(words)
    if guess is not None:
        return Command("unknown", word=echo(words[0]), suggestion=guess.postal, suggestion_is_state=True, text=text)
    close = difflib.get_close_matches(head, SUBCOMMANDS, n=1, cutoff=0.7)
    return Command("unknown", word=echo(words[0]), suggestion=close[0] if close else None, text=text)


def _state_command(state: State, rest: list[str], share: bool, office: str | None) -> Command:
    place_words = []
    swing = False
    party = None
    picture = None
    margin = None
    for word in rest:
        if word.lower() in PICTURE_WORDS and picture is None:
            picture = PICTURE_WORDS[word.lower()]
        elif word.lower() in MARGIN_WORDS and margin is None:
            margin = word
        elif word.lower() in SWING_WORDS:
            swing = True
        elif word.lower() in PARTY_WORDS and party is None:
            party = PARTY_WORDS[word.lower()]
        elif word.lower() in OFFICE_WORDS and office is None:
            office = OFFICE_WORDS[word.lower()]
        elif word.lower() in CLOSE_WORDS:
            continue
        else:
            place_words.append(word)
    if picture == "swing_map" and margin is not None:
        picture = "margin_map"
    elif margin is not None:
        place_words.append(margin)  # not a picture's word here: a place's, as before
    place = " ".join(place_words)[:60] or None
    if picture is not None and not place_words:
        return Command("picture", state=state.postal, office=office, share=share, picture=picture)
    if swing:
        return Command("swing", state=state.postal, office=office, share=share)
    return Command("state", state=state.postal, office=office, place=place, share=share, party=party)
