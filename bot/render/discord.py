"""Discord rendering of alerts, digests, rollups, catch-up summaries and live cards: embeds.

The words are the neutral ones of ``bot.render.text`` and ``bot.render.digest`` (the console
and Slack say the same sentences); only the layout is Discord's. Every message is a dict ready
for ``POST /channels/{id}/messages`` (or a webhook): ``content`` (the text fallback that
notifications and screen readers use), ``embeds`` and ``allowed_mentions``.

No ping, twice over: ``allowed_mentions: {"parse": []}`` on every message (what Discord
honours), and feed text escaped (Discord markdown backslashed, a zero-width space after every
``@``), so a candidate called "@everyone" or "<@&123>" shows as typed and formats nothing.

Discord's limits (message resource, embed limits): title 256, description 4,096, 25 fields,
field name 256 and value 1,024, footer 2,048, author 256, 6,000 characters across a message's
embeds, 10 embeds, content 2,000. Each piece is clipped with "…" to its own limit, and a
message's embeds are packed so the total is never over: ``message_size`` counts what Discord
counts, and the unit tests hold every renderer to it with arbitrary feed text.

A message's footer ends with its reference (``ref`` + hash of the alert key): Discord keeps no
metadata on a message and does not echo a ``nonce`` back when history is read, so this is how
the crash check recognises its own posts (``bot.delivery.discord``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from bot.core.digest import Digest
from bot.core.events import Alert, RaceFacts
from bot.core.parties import DEM, GOP, IND, normalize_party
from bot.render.digest import CLOSING, rollup_intro, rollup_lines
from bot.render.digest_words import intro, section_lines
from bot.render.numbers import percent, votes
from bot.render.picture import Picture
from bot.render.slack import _status_line, bar
from bot.render.text import (
    CATCH_UP_MINOR,
    alert_text,
    candidate_label,
    catch_up_intro,
    catch_up_races,
    event_line,
    lead_line,
    local_time,
    race_card_text,
    race_title,
    recount_text,
    reporting_text,
    runoff_text,
    standings_line,
)

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
EMBEDS_MAX = 10
EMBEDS_TOTAL_MAX = 6000
CONTENT_MAX = 2000

#: Every message carries it: no @everyone, @here, role or user mention can fire.
NO_PINGS: dict[str, list[str]] = {"parse": []}

#: Embed colours by party (the leader's, or the winner's once called); grey for the rest.
PARTY_COLOURS = {DEM: 0x1F5AA6, GOP: 0xC8102E, IND: 0x7A5CAD}
NEUTRAL = 0x6B7280
#: Feed notices (failing, stale, recovered) and digests: no party.
NOTICE = 0xB7791F

MAX_CARD_CANDIDATES = 12
#: A ref is "ref " + 10 hex digits: short enough for 40 in one footer, unique enough per channel.
REF_CHARS = 10

#: What Discord's markdown reads in plain text: emphasis, code, spoilers, quotes, headings,
#: masked links and the ``<`` of a mention or channel; a list's "-" only at a line's start.
_MARKDOWN = re.compile(r"([\\*_~`|>#\[\]<])|^(-)", re.MULTILINE)


def inert(text: str) -> str:
    """Text that can neither mention nor ping: a zero-width space after every ``@``."""
    return text.replace("@", "@\u200b")


def escape(text: str) -> str:
    """Plain text as Discord shows it literally, in content, titles, descriptions and fields."""
    return inert(_MARKDOWN.sub(lambda m: "\\" + (m.group(1) or m.group(2)), text))


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending in "…" when cut; never ends on a lone escape."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - 1)]
    while cut.endswith("\\"):
        cut = cut[:-1]
    return cut + "…"


def ref(key: str) -> str:
    """The reference of an alert (or card) key in a footer: how the crash check finds a post."""
    return "ref " + hashlib.sha256(key.encode()).hexdigest()[:REF_CHARS]


def refs_in(message: dict[str, Any]) -> set[str]:
    """The refs in a message read back from a channel (in any embed's footer)."""
    found: set[str] = set()
    for embed in message.get("embeds") or []:
        text = str((embed.get("footer") or {}).get("text") or "")
        found.update(re.findall(rf"ref [0-9a-f]{{{REF_CHARS}}}", text))
    return found


def party_colour(facts: RaceFacts | None) -> int:
    if facts is None:
        return NOTICE
    winners = [c for c in facts.candidates if c.winner]
    who = winners[0] if winners else facts.leader
    if who is None or facts.total_votes == 0:
        return NEUTRAL
    return PARTY_COLOURS.get(normalize_party(who.party) or "", NEUTRAL)


def embed_size(embed: dict[str, Any]) -> int:
    """What Discord counts of an embed toward a message's 6,000 characters."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "") + len((embed.get("author") or {}).get("name") or "")
    return total + sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields") or [])


def message_size(message: dict[str, Any]) -> int:
    return sum(embed_size(e) for e in message.get("embeds") or [])


def _footer(*parts: str) -> dict[str, str]:
    return {"text": clip(" · ".join(p for p in parts if p), FOOTER_MAX)}


def _field(name: str, value: str, inline: bool = False) -> dict[str, Any]:
    return {"name": clip(escape(name), FIELD_NAME_MAX), "value": clip(escape(value), FIELD_VALUE_MAX), "inline": inline}


def _message(content: str, embeds: list[dict[str, Any]]) -> dict[str, Any]:
    """The message as posted: content clipped, embeds within the 6,000 characters (the last
    description shortened, then whole fields and embeds dropped, never the first embed's title)."""
    embeds = embeds[:EMBEDS_MAX]
    while message_size({"embeds": embeds}) > EMBEDS_TOTAL_MAX:
        over = message_size({"embeds": embeds}) - EMBEDS_TOTAL_MAX
        last = embeds[-1]
        description = last.get("description") or ""
        if len(description) > over + 1:
            last["description"] = clip(description, len(description) - over)
        elif last.get("fields"):
            last["fields"] = last["fields"][:-1]
        elif len(embeds) > 1:
            embeds = embeds[:-1]
        else:
            last["description"] = ""
            last["title"] = clip(last.get("title") or "", max(1, len(last.get("title") or "") - over))
    return {"content": clip(content, CONTENT_MAX), "embeds": embeds, "allowed_mentions": dict(NO_PINGS)}


def _stamp(test: bool) -> str:
    return "TEST — " if test else ""


# --- one alert --------------------------------------------------------------------------------


def alert_message(alert: Alert, key: str | None = None) -> dict[str, Any]:
    """One coalesced alert: its race as the title, the events, the numbers as fields."""
    facts = alert.facts
    test = alert.test or (facts is not None and facts.test)
    title = _stamp(test) + (race_title(facts) if facts else f"Feed {alert.feed}")
    first = event_line(alert.events[0], facts)
    lines = [f"**{escape(first)}**"] + [f"• {escape(event_line(e, facts))}" for e in alert.events[1:]]
    embed: dict[str, Any] = {
        "title": clip(escape(title), TITLE_MAX),
        "description": clip("\n".join(lines), DESCRIPTION_MAX),
        "color": party_colour(facts),
    }
    fields: list[dict[str, Any]] = []
    when = ""
    if facts:
        fields.append(_field("Count", standings_line(facts)))
        fields.append(_field("Lead", lead_line(facts)))
        if recount := recount_text(facts):
            fields.append(_field("Recount", recount))
        if runoff := runoff_text(facts):
            fields.append(_field("Runoff", runoff))
        when = f"As of {local_time(facts.updated_at, facts.state)}" if facts.updated_at else ""
    embed["fields"] = fields[:FIELDS_MAX]
    embed["footer"] = _footer(when, ref(key or alert.key))
    headline = alert_text(alert).split("\n", 1)[0]
    return _message(escape(headline), [embed])


# --- digests, rollups, catch-up summaries: lines packed into embeds -------------------------


def _packed(
    title: str, lines: Sequence[str], keys: Sequence[str], colour: int, more: str = CLOSING, content: str = ""
) -> dict[str, Any]:
    """Escaped ``lines`` in as many embeds' descriptions as they need (up to ten, 6,000 characters
    in all), a line never split between two; what does not fit is counted in the last line. The
    footer of the last embed carries the refs of every key, for the crash check."""
    footer = _footer(escape(more), " ".join(ref(k) for k in keys))
    budget = EMBEDS_TOTAL_MAX - len(footer["text"]) - min(len(title), TITLE_MAX) - 80
    embeds: list[dict[str, Any]] = []
    current: list[str] = []
    used = 0
    left = list(lines)
    while left:
        line = clip(left[0], DESCRIPTION_MAX - 100)
        size = len(line) + 1
        full_embed = current and len("\n".join(current)) + size > DESCRIPTION_MAX - 100
        if used + size > budget or (full_embed and len(embeds) + 1 >= EMBEDS_MAX):
            break
        if full_embed:
            embeds.append({"description": "\n".join(current), "color": colour})
            current = []
        current.append(line)
        used += size
        left.pop(0)
    if left:
        current.append(f"… and {len(left):,} more; /results has the numbers")
    embeds.append({"description": "\n".join(current) or "—", "color": colour})
    embeds[0]["title"] = clip(title, TITLE_MAX)
    embeds[-1]["footer"] = footer
    return _message(content or title, embeds)


def digest_message(digest: Digest) -> dict[str, Any]:
    """One part of a poll's digest: each category's headline in bold, then its states."""
    totals = {c: (r, s) for c, r, s in digest.totals}
    lines: list[str] = []
    for section in digest.sections:
        head, *rest = section_lines(section, totals, escape)
        lines.append(f"**{head}**")
        lines += rest
    states = {ln.state for sec in digest.sections for ln in sec.lines}
    zone = states.pop() if len(states) == 1 and digest.states == 1 else "DC"
    when = local_time(digest.at, zone) if digest.at else ""
    title = escape(intro(digest)) + (f" · as of {when}" if when else "")
    return _packed(title, lines, [digest.key], NOTICE)


def rollup_message(alerts: Sequence[Alert], per_minute: int, keys: Sequence[str] | None = None) -> dict[str, Any]:
    """The alerts a channel's budget held back, one line each, carrying every alert's ref."""
    lines = [f"• {escape(line)}" for line in rollup_lines(alerts)]
    return _packed(escape(rollup_intro(alerts, per_minute)), lines, keys or [a.key for a in alerts], NOTICE)


def summary_message(alerts: Sequence[Alert], held_minutes: int, keys: Sequence[str] | None = None) -> dict[str, Any]:
    """Alerts too old to replay one by one (a long outage), as Slack's catch-up: calls and lead
    changes verbatim with their time, the rest counted, each race's latest numbers."""
    intro_text = catch_up_intro(len(alerts), held_minutes)
    lines: list[str] = []
    for race in catch_up_races(alerts):
        lines.append(f"**{escape(_stamp(race.test) + race.title)}**")
        lines += [f"• {escape(line)}" + (f" ({when})" if when else "") for line, when in race.moments]
        if race.minor:
            lines.append("• " + CATCH_UP_MINOR.format(n=race.minor))
        if race.standings is not None and race.lead is not None:
            lines.append(escape(race.standings))
            lines.append(escape(race.lead))
    return _packed(escape(intro_text), lines, keys or [a.key for a in alerts], NOTICE)


# --- the live race card -----------------------------------------------------------------------


def card_ref(race_key: str) -> str:
    return ref("card:" + race_key)


def live_card(facts: RaceFacts) -> dict[str, Any]:
    """The live card: totals with bars, margin, reporting, status and last update, edited in
    place as the numbers move; the race's alerts go in the thread started from it."""
    title = _stamp(facts.test) + race_title(facts)
    rows = []
    shown = facts.candidates[:MAX_CARD_CANDIDATES]
    for c in shown:
        share = facts.share(c.votes)
        mark = " ✓" if c.winner else ""
        rows.append(
            f"**{escape(candidate_label(c.name, c.party))}**{mark}\n`{bar(share)}` {votes(c.votes)} · {percent(share)} %"
        )
    if len(facts.candidates) > len(shown):
        rows.append(f"*and {len(facts.candidates) - len(shown)} more candidates*")
    fields = [_field("Lead", lead_line(facts).split(" · ")[0]), _field("Reporting", reporting_text(facts))]
    fields.append(_field("Status", _status_line(facts)))
    if recount := recount_text(facts):
        fields.append(_field("Recount", recount))
    if runoff := runoff_text(facts):
        fields.append(_field("Runoff", runoff))
    when = f"Last update {local_time(facts.updated_at, facts.state)}" if facts.updated_at else ""
    embed = {
        "title": clip(escape(title), TITLE_MAX),
        "description": clip("\n".join(rows) or "No candidates yet", DESCRIPTION_MAX),
        "color": party_colour(facts),
        "fields": fields,
        "footer": _footer(when, "live card, edited as votes come in; alerts in the thread", card_ref(facts.race_key)),
    }
    return _message(escape(race_card_text(facts).split("\n", 1)[0]), [embed])


def thread_name(facts: RaceFacts | None, race_key: str) -> str:
    """A thread's name (Discord: 1–100 characters; names are not markdown)."""
    name = (_stamp(facts.test) + race_title(facts)) if facts else race_key
    return clip(inert(name), 100) or "Race"


# --- a picture (the night's chart, a county map) ------------------------------------------------

#: Discord's limit on an attachment's ``description`` (its alt text).
ALT_TEXT_MAX = 1024
#: what an attachment's file name may hold so ``attachment://<name>`` finds it (Discord rewrites others)
_FILENAME = re.compile(r"[^A-Za-z0-9._-]")


def attachment_name(picture: Picture) -> str:
    """The file name the attachment and the embed's ``attachment://`` agree on: Discord replaces
    spaces and most punctuation in an uploaded name, after which the embed would not find it."""
    name = _FILENAME.sub("-", picture.filename).strip("-.") or "picture"
    return name if name.lower().endswith(".png") else name + ".png"


def picture_message(picture: Picture, marker: str | None = None) -> dict[str, Any]:
    """The ``payload_json`` of a message carrying ``picture`` as its one attachment (``files[0]``):
    the title as content (what notifications show), one embed showing the image
    (``attachment://<name>``) with the alt text as its description, and the alt text again as
    the attachment's ``description`` (what screen readers read). ``marker`` (``ref`` + hex) ends
    the footer: how the crash check finds the post again, as for alerts."""
    name = attachment_name(picture)
    alt = inert(picture.alt_text.strip()) or inert(picture.title)
    embed: dict[str, Any] = {
        "title": clip(escape(picture.title), TITLE_MAX),
        "description": clip(escape(picture.alt_text.strip()), DESCRIPTION_MAX),
        "image": {"url": f"attachment://{name}"},
        "color": NEUTRAL,
    }
    if marker:
        embed["footer"] = _footer(marker)
    message = _message(escape(picture.title), [embed])
    message["attachments"] = [{"id": 0, "filename": name, "description": clip(alt, ALT_TEXT_MAX)}]
    return message


def texts(message: dict[str, Any]) -> Iterable[str]:
    """Every string of a message Discord shows (for the no-ping checks of the tests)."""
    yield str(message.get("content") or "")
    for embed in message.get("embeds") or []:
        yield str(embed.get("title") or "")
        yield str(embed.get("description") or "")
        yield str((embed.get("footer") or {}).get("text") or "")
        for f in embed.get("fields") or []:
            yield str(f["name"])
            yield str(f["value"])


__all__ = [
    "NO_PINGS",
    "alert_message",
    "card_ref",
    "digest_message",
    "escape",
    "live_card",
    "picture_message",
    "ref",
    "refs_in",
    "rollup_message",
    "summary_message",
]
