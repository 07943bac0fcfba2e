"""Mutations of real feed shapes: the ways a race, a unit or a candidate of a real reply can come
out wrong, each touching one place of one document.

Every mutation names the races it touches (``races``, keys as the bot files them) so a test can
check that every *other* race is read exactly as before. The kinds follow issue 11: each key of a
race, unit and candidate dropped in turn; empty lists; null, text, a float and a negative where a
count belongs; duplicate ids; a 10,000-character name; non-ASCII names; a count that goes down.
Deterministic: what is sampled is sampled with the caller's seeded ``random.Random``.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET

from bot.core.model import race_key
from bot.feeds.csv_feed import NOT_VOTES, _slug

LONG_NAME = "Bartholomew " * 833 + "Ng"  # 10,000 characters
ACCENTED = "Zoë Ñúñez-Łukasz 山田 太郎"
BAD_COUNTS: tuple[Any, ...] = (None, "12", 1.5, -1)


@dataclass(frozen=True)
class Mutation:
    kind: str  # "drop key", "empty list", "bad count", "duplicate id", "long name", "non-ASCII name", "count down"
    where: str  # a readable path, for failure messages
    races: frozenset[str]  # race keys the mutation touches; every other race must read as before
    apply: Callable[[Any], Any]  # a deep copy of the document in, the mutated document out


def sample(mutations: list[Mutation], cap: int, rng: random.Random) -> list[Mutation]:
    """At most ``cap``, every kind kept represented (a big sample has thousands of drop-key ones)."""
    if len(mutations) <= cap:
        return mutations
    by_kind: dict[str, list[Mutation]] = {}
    for m in mutations:
        by_kind.setdefault(m.kind, []).append(m)
    share = max(1, cap // len(by_kind))
    picked = [m for kind in sorted(by_kind) for m in rng.sample(by_kind[kind], min(share, len(by_kind[kind])))]
    return picked[:cap] if len(picked) > cap else picked


# -- JSON trees ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spot:
    """One object of a document to mutate: where it is, what it is and which race it belongs to."""

    path: tuple[Any, ...]
    obj: dict[str, Any]
    counts: tuple[str, ...] = ()  # keys holding a count
    ids: tuple[str, ...] = ()  # keys holding an id unique among its siblings
    names: tuple[str, ...] = ()  # keys holding a name
    siblings: tuple[dict[str, Any], ...] = ()  # objects of the same kind beside it (for duplicate ids)
    race: str = ""
    sibling_races: tuple[str, ...] = ()  # for a race: the keys of the races beside it
    #: keys that speak for the whole reply (AP's test flag on each race): changing one touches all
    reply_wide: tuple[str, ...] = ()


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def _edit(path: tuple[Any, ...], change: Callable[[Any], None]) -> Callable[[Any], Any]:
    def apply(doc: Any) -> Any:
        change(_at(doc, path))
        return doc

    return apply


def json_mutations(spots: Iterable[Spot]) -> Iterator[Mutation]:
    """The issue's kinds of mutation at each spot."""
    for spot in spots:
        mine = frozenset({spot.race})
        where = "/".join(map(str, spot.path))
        for key in list(spot.obj):
            touched = frozenset(spot.sibling_races) | mine if key in spot.reply_wide else mine
            yield Mutation("drop key", f"{where} -{key}", touched, _edit(spot.path, lambda o, k=key: o.pop(k, None)))
            if isinstance(spot.obj[key], list) and spot.obj[key]:
                yield Mutation(
                    "empty list", f"{where}.{key}=[]", mine, _edit(spot.path, lambda o, k=key: o.__setitem__(k, []))
                )
        for key in spot.counts:
            if key not in spot.obj:
                continue
            for bad in BAD_COUNTS:
                yield Mutation(
                    "bad count",
                    f"{where}.{key}={bad!r}",
                    mine,
                    _edit(spot.path, lambda o, k=key, b=bad: o.__setitem__(k, b)),
                )
            if isinstance(spot.obj[key], int) and not isinstance(spot.obj[key], bool) and spot.obj[key] > 0:
                yield Mutation(
                    "count down", f"{where}.{key}-1", mine, _edit(spot.path, lambda o, k=key: o.__setitem__(k, o[k] - 1))
                )
        for key in spot.ids:
            other = next(
                (
                    s
                    for s in spot.siblings
                    if s is not spot.obj and s.get(key) is not None and s.get(key) != spot.obj.get(key)
                ),
                None,
            )
            if key in spot.obj and other is not None:
                index = next(n for n, s in enumerate(spot.siblings) if s is other)
                touched = mine | ({spot.sibling_races[index]} if spot.sibling_races else set())
                yield Mutation(
                    "duplicate id",
                    f"{where}.{key}={other[key]!r}",
                    touched,
                    _edit(spot.path, lambda o, k=key, v=other[key]: o.__setitem__(k, v)),
                )
        for key in spot.names:
            if isinstance(spot.obj.get(key), str):
                yield Mutation(
                    "long name",
                    f"{where}.{key}=10,000 chars",
                    mine,
                    _edit(spot.path, lambda o, k=key: o.__setitem__(k, LONG_NAME)),
                )
                yield Mutation(
                    "non-ASCII name",
                    f"{where}.{key}={ACCENTED!r}",
                    mine,
                    _edit(spot.path, lambda o, k=key: o.__setitem__(k, ACCENTED)),
                )


def _picked(items: list[Any], rng: random.Random, first: int = 2) -> list[int]:
    """The first few indices (state rows, leading candidates) and one more at random."""
    indices = list(range(min(first, len(items))))
    if len(items) > first:
        indices.append(rng.randrange(first, len(items)))
    return indices


def ap_spots(doc: dict[str, Any], rng: random.Random, races_per_doc: int = 3) -> list[Spot]:
    races = doc.get("races") or []
    keys = [_ap_key(r) for r in races]
    spots: list[Spot] = []
    for i in _picked(races, rng, races_per_doc):
        race = races[i]
        spots.append(
            Spot(
                ("races", i),
                race,
                ("numWinners", "eevp"),
                ("raceID",),
                ("officeName", "seatName"),
                tuple(races),
                keys[i],
                tuple(keys),
                ("test", "resultsType"),
            )
        )
        for entry_list, base in ((race.get("candidates"), ("races", i, "candidates")),):
            if isinstance(entry_list, list) and entry_list:
                spots.append(
                    Spot(
                        (*base, 0),
                        entry_list[0],
                        (),
                        ("candidateID", "polID"),
                        ("last", "first"),
                        tuple(entry_list),
                        keys[i],
                    )
                )
        units = race.get("reportingUnits") or []
        for j in _picked(units, rng):
            unit = units[j]
            spots.append(
                Spot(
                    ("races", i, "reportingUnits", j),
                    unit,
                    ("precinctsReporting", "precinctsTotal", "eevp"),
                    ("reportingunitID",),
                    ("reportingunitName",),
                    tuple(units),
                    keys[i],
                )
            )
            entries = unit.get("candidates") or []
            for k in _picked(entries, rng, 1):
                spots.append(
                    Spot(
                        ("races", i, "reportingUnits", j, "candidates", k),
                        entries[k],
                        ("voteCount",),
                        ("candidateID", "polID"),
                        ("last", "first"),
                        tuple(entries),
                        keys[i],
                    )
                )
    return spots


def _ap_key(race: Any) -> str:
    """As the adapter files it: the race's statePostal, else its state row's, else any row's."""
    units = race.get("reportingUnits") or []
    state_rows = [u.get("statePostal") for u in units if u.get("level") == "state" and u.get("statePostal")]
    postal = (
        race.get("statePostal")
        or next(iter(state_rows), None)
        or next((u.get("statePostal") for u in units if u.get("statePostal")), "")
    )
    return race_key(postal, str(race.get("raceID")))


def native_spots(doc: dict[str, Any], rng: random.Random) -> list[Spot]:
    races = doc["races"]
    keys = [race_key(r["state"], r["id"]) for r in races]
    spots: list[Spot] = []
    for i in _picked(races, rng, 2):
        race = races[i]
        spots.append(Spot(("races", i), race, ("seats", "eevp"), ("id",), ("office",), tuple(races), keys[i], tuple(keys)))
        cands = race.get("candidates") or []
        for c in _picked(cands, rng, 1):
            spots.append(Spot(("races", i, "candidates", c), cands[c], (), ("id",), ("name",), tuple(cands), keys[i]))
        units = race.get("units") or []
        for j in _picked(units, rng):
            unit = units[j]
            spots.append(
                Spot(
                    ("races", i, "units", j),
                    unit,
                    ("precincts_reporting", "precincts_total", "eevp"),
                    ("id",),
                    ("name",),
                    tuple(units),
                    keys[i],
                )
            )
            spots.append(
                Spot(("races", i, "units", j, "votes"), unit["votes"], tuple(list(unit["votes"])[:1]), (), (), (), keys[i])
            )
    return spots


def clarity_summary_mutations(doc: list[Any], state: str, rng: random.Random) -> list[Mutation]:
    """Each contest's keys, counts and ids as JSON spots, plus its first choice's votes (``V``)
    and name (``CH``), which are list items."""
    keys = [race_key(state, str(c.get("K"))) for c in doc]
    picked = _picked(doc, rng, 2)
    out = list(
        json_mutations(
            Spot((i,), doc[i], ("VF", "TP", "PR"), ("K",), ("C",), tuple(doc), keys[i], tuple(keys)) for i in picked
        )
    )
    for i in picked:
        mine = frozenset({keys[i]})
        votes, names = doc[i].get("V") or [], doc[i].get("CH") or []
        if votes:
            for bad in BAD_COUNTS:
                out.append(
                    Mutation("bad count", f"{i}.V[0]={bad!r}", mine, _edit((i, "V"), lambda o, b=bad: o.__setitem__(0, b)))
                )
            if isinstance(votes[0], int) and votes[0] > 0:
                out.append(
                    Mutation("count down", f"{i}.V[0]-1", mine, _edit((i, "V"), lambda o: o.__setitem__(0, o[0] - 1)))
                )
        if names:
            out.append(
                Mutation(
                    "long name", f"{i}.CH[0]=10,000 chars", mine, _edit((i, "CH"), lambda o: o.__setitem__(0, LONG_NAME))
                )
            )
            out.append(
                Mutation(
                    "non-ASCII name", f"{i}.CH[0]={ACCENTED!r}", mine, _edit((i, "CH"), lambda o: o.__setitem__(0, ACCENTED))
                )
            )
    return out


# -- Clarity detail.xml ---------------------------------------------------------------------------------


def detail_mutations(xml: bytes, state: str, rng: random.Random) -> list[Mutation]:
    root = ET.fromstring(xml)
    contests = root.findall("Contest")
    keys = [race_key(state, (c.get("key") or "").strip()) for c in contests]
    out: list[Mutation] = []

    def on(
        path: Callable[[ET.Element], ET.Element | None],
        change: Callable[[ET.Element], None],
        kind: str,
        where: str,
        races: frozenset[str],
    ) -> None:
        def apply(data: bytes) -> bytes:
            tree = ET.fromstring(data)
            target = path(tree)
            if target is not None:
                change(target)
            return ET.tostring(tree, encoding="utf-8", xml_declaration=True)

        out.append(Mutation(kind, where, races, apply))

    for i in _picked(contests, rng, 2):
        mine = frozenset({keys[i]})
        contest = contests[i]

        def contest_at(tree: ET.Element, i: int = i) -> ET.Element:
            return tree.findall("Contest")[i]

        for attr in list(contest.attrib):
            on(contest_at, lambda e, a=attr: e.attrib.pop(a, None), "drop key", f"Contest[{i}]@{attr}", mine)
        other = next((k for j, k in enumerate(keys) if j != i), None)
        if other is not None:
            taken = contests[keys.index(other)].get("key") or ""
            on(contest_at, lambda e, v=taken: e.set("key", v), "duplicate id", f"Contest[{i}]@key", mine | {other})
        on(contest_at, lambda e: [e.remove(c) for c in e.findall("Choice")], "empty list", f"Contest[{i}] no choices", mine)
        choices = contest.findall("Choice")
        for c in _picked(choices, rng, 1):

            def choice_at(tree: ET.Element, i: int = i, c: int = c) -> ET.Element:
                return tree.findall("Contest")[i].findall("Choice")[c]

            for attr in list(choices[c].attrib):
                on(choice_at, lambda e, a=attr: e.attrib.pop(a, None), "drop key", f"Contest[{i}]/Choice[{c}]@{attr}", mine)
            for bad in ("", "null", "12.5", "-1", "abc"):
                on(
                    choice_at,
                    lambda e, b=bad: e.set("totalVotes", b),
                    "bad count",
                    f"Contest[{i}]/Choice[{c}]@totalVotes={bad!r}",
                    mine,
                )
            on(choice_at, lambda e: e.set("text", LONG_NAME), "long name", f"Contest[{i}]/Choice[{c}]@text", mine)
            on(choice_at, lambda e: e.set("text", ACCENTED), "non-ASCII name", f"Contest[{i}]/Choice[{c}]@text", mine)
            if len(choices) > 1:
                taken = choices[1 if c == 0 else 0].get("key") or ""
                on(choice_at, lambda e, v=taken: e.set("key", v), "duplicate id", f"Contest[{i}]/Choice[{c}]@key", mine)
            rows = [row for vt in choices[c].findall("VoteType") for row in vt]
            if rows:

                def row_at(tree: ET.Element, i: int = i, c: int = c) -> ET.Element | None:
                    found = [row for vt in tree.findall("Contest")[i].findall("Choice")[c].findall("VoteType") for row in vt]
                    return found[0] if found else None

                for attr in list(rows[0].attrib):
                    on(
                        row_at,
                        lambda e, a=attr: e.attrib.pop(a, None),
                        "drop key",
                        f"Contest[{i}]/Choice[{c}]//{rows[0].tag}[0]@{attr}",
                        mine,
                    )
                for bad in ("", "null", "1.5", "-1"):
                    on(
                        row_at,
                        lambda e, b=bad: e.set("votes", b),
                        "bad count",
                        f"Contest[{i}]/Choice[{c}]//{rows[0].tag}[0]@votes={bad!r}",
                        mine,
                    )
                if int(rows[0].get("votes") or 0) > 0:
                    on(
                        row_at,
                        lambda e: e.set("votes", str(int(e.get("votes") or 0) - 1)),
                        "count down",
                        f"Contest[{i}]/Choice[{c}]//{rows[0].tag}[0]@votes-1",
                        mine,
                    )

                def first_type(tree: ET.Element, i: int = i, c: int = c) -> ET.Element | None:
                    types = tree.findall("Contest")[i].findall("Choice")[c].findall("VoteType")
                    return types[0] if types else None

                on(
                    first_type,
                    lambda e: [e.remove(r) for r in list(e)],
                    "empty list",
                    f"Contest[{i}]/Choice[{c}]/VoteType[0] no rows",
                    mine,
                )
    return out


# -- CSV ---------------------------------------------------------------------------------------------------


def csv_mutations(data: bytes, state: str, rng: random.Random) -> list[Mutation]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    col = {name.strip().lower(): i for i, name in enumerate(header)}
    counted = [i for i, r in enumerate(body) if not _not_votes(r[col["office"]]) and not _not_votes(r[col["candidate"]])]
    out: list[Mutation] = []

    def key_of(row: list[str]) -> str:
        return race_key(
            state, _slug(f"{row[col['office']].strip()} {row[col.get('district', 0)].strip() if 'district' in col else ''}")
        )

    def on(index: int, change: Callable[[list[str]], None], kind: str, where: str) -> None:
        def apply(text: bytes) -> bytes:
            table = list(csv.reader(io.StringIO(text.decode("utf-8-sig"), newline="")))
            change(table[index + 1])
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerows(table)
            return buffer.getvalue().encode("utf-8")

        out.append(Mutation(kind, where, frozenset({key_of(body[index])}), apply))

    for index in _picked(counted, rng, 2):
        row_index = counted[index]
        for name, i in col.items():
            on(row_index, lambda r, i=i: r.__setitem__(i, ""), "drop key", f"line {row_index + 2} {name}=''")
        for bad in ("null", "abc", "1.5", "-1"):
            on(
                row_index,
                lambda r, b=bad: r.__setitem__(col["votes"], b),
                "bad count",
                f"line {row_index + 2} votes={bad!r}",
            )
        if float(body[row_index][col["votes"]] or 0) > 0:
            on(
                row_index,
                lambda r: r.__setitem__(col["votes"], str(int(float(r[col["votes"]])) - 1)),
                "count down",
                f"line {row_index + 2} votes-1",
            )
        on(row_index, lambda r: r.__setitem__(col["candidate"], LONG_NAME), "long name", f"line {row_index + 2} candidate")
        on(
            row_index,
            lambda r: r.__setitem__(col["candidate"], ACCENTED),
            "non-ASCII name",
            f"line {row_index + 2} candidate",
        )
    return out


def _not_votes(text: str) -> bool:
    return "".join(ch for ch in text.lower() if ch.isalnum()).startswith(NOT_VOTES)


def json_bytes(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def deep(doc: Any) -> Any:
    return copy.deepcopy(doc)
