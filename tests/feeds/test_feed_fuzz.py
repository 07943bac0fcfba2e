"""Whatever bytes arrive, an adapter answers with a snapshot or a FeedError, never a crash.

Arbitrary bytes and arbitrary JSON rarely get past the first check, so the strongest
properties start from a valid fixture and replace one node with something arbitrary: that is
how a real feed goes wrong (one field of one row).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.feeds.ap import parse_ap
from bot.feeds.clarity import parse_detail_xml, parse_summary, parse_test_mode, read_detail_zip
from bot.feeds.csv_feed import parse_csv
from bot.feeds.errors import FeedError

from .samples import CLARITY_FIXTURES, CSV_FIXTURES, ap_doc, zip_of

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


def survives(parse: Callable[[], object]) -> None:
    """A result or a FeedError; any other exception fails the property."""
    with contextlib.suppress(FeedError):
        parse()


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


def replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = list(doc) if isinstance(doc, list) else dict(doc)
    copy[path[0]] = replaced(doc[path[0]], path[1:], value)
    return copy


AP_DOCS = [ap_doc(n) for n in ("20171212_al_senate_full.json", "20170815_al_senate_gop_primary.json", "20201103_me_president_v3.json", "20171212_al_senate_initialization.json")]
AP_PATHS = [(i, p) for i, d in enumerate(AP_DOCS) for p in paths(d)]
GA_SUMMARY = json.loads((CLARITY_FIXTURES / "20201103_ga_summary.json").read_bytes())
SUMMARY_PATHS = paths(GA_SUMMARY)


@FUZZ
@given(st.binary(max_size=400))
def test_ap_survives_arbitrary_bytes(data: bytes) -> None:
    survives(lambda: parse_ap(data, "fuzz"))


@FUZZ
@given(json_values)
def test_ap_survives_arbitrary_json(value: Any) -> None:
    survives(lambda: parse_ap(json.dumps(value).encode(), "fuzz"))


@FUZZ
@given(st.sampled_from(AP_PATHS), json_values)
def test_ap_survives_one_field_gone_wrong(where: tuple[int, tuple[Any, ...]], value: Any) -> None:
    index, path = where
    survives(lambda: parse_ap(json.dumps(replaced(AP_DOCS[index], path, value)).encode(), "fuzz"))


@FUZZ
@given(st.binary(max_size=400))
def test_clarity_summary_survives_arbitrary_bytes(data: bytes) -> None:
    survives(lambda: parse_summary(data, "fuzz", "GA"))


@FUZZ
@given(st.sampled_from(SUMMARY_PATHS), json_values)
def test_clarity_summary_survives_one_field_gone_wrong(path: tuple[Any, ...], value: Any) -> None:
    survives(lambda: parse_summary(json.dumps(replaced(GA_SUMMARY, path, value)).encode(), "fuzz", "GA", site="county"))


TAGS = ["ElectionResult", "Region", "Timestamp", "ElectionName", "ElectionDate", "Contest", "Choice", "VoteType", "County", "Precinct", "VoterTurnout", "Precincts", "ElectionVoterTurnout", "Counties", "ParticipatingCounties"]
ATTRS = ["key", "text", "name", "votes", "totalVotes", "party", "voteFor", "precinctsReported", "precinctsParticipating", "precinctsReporting", "percentReporting"]
attr_values = st.sampled_from(["1", "0", "4", "-1", "", "x", "GA", "1e9", "99999999999999999999", "&amp;", "Trump (I) (Rep)"]) | st.text(max_size=6)
element = st.recursive(
    st.builds(lambda t: (t, {}, []), st.sampled_from(TAGS)),
    lambda inner: st.builds(lambda t, a, c: (t, a, c), st.sampled_from(TAGS), st.dictionaries(st.sampled_from(ATTRS), attr_values, max_size=4), st.lists(inner, max_size=4)),
    max_leaves=25,
)


def xml_of(node: tuple[str, dict[str, str], list[Any]]) -> str:
    from xml.sax.saxutils import quoteattr

    tag, attrs, children = node
    attributes = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
    return f"<{tag}{attributes}>{''.join(xml_of(c) for c in children)}</{tag}>"


@FUZZ
@given(st.builds(lambda c, r: ("ElectionResult", {}, [("Region", {}, []), *c]) if r else ("ElectionResult", {}, c), st.lists(element, max_size=4), st.booleans()), st.sampled_from([None, "GA"]))
def test_clarity_detail_survives_xml_shaped_nonsense(tree: Any, state: str | None) -> None:
    survives(lambda: parse_detail_xml(xml_of(tree).encode(), "fuzz", state))


@FUZZ
@given(st.binary(max_size=400) | st.text(max_size=200).map(str.encode))
def test_clarity_detail_survives_arbitrary_bytes(data: bytes) -> None:
    survives(lambda: parse_detail_xml(data, "fuzz", "GA"))


DETAIL_ZIP = zip_of({"detail.xml": (CLARITY_FIXTURES / "20140520_ky_greenup_detail.xml").read_bytes()})


@FUZZ
@given(st.integers(min_value=0, max_value=len(DETAIL_ZIP) - 1), st.integers(min_value=0, max_value=255), st.integers(min_value=1, max_value=len(DETAIL_ZIP)))
def test_detail_zip_survives_corruption_and_truncation(offset: int, byte: int, keep: int) -> None:
    damaged = bytearray(DETAIL_ZIP)
    damaged[offset] = byte
    survives(lambda: read_detail_zip(bytes(damaged[:keep])))


CSV_TEXT = (CSV_FIXTURES / "20171212__al__special__general__precinct.csv").read_text(encoding="utf-8")


@FUZZ
@given(st.binary(max_size=400))
def test_csv_survives_arbitrary_bytes(data: bytes) -> None:
    survives(lambda: parse_csv(data, "fuzz", "AL"))


@FUZZ
@given(st.lists(st.lists(st.sampled_from(["", "A", "1", "-1", "2.5", "815.0", "Write-In", "Over Votes", '"', ",", "\n", "\x00", "é"]) | st.text(max_size=5), max_size=9), max_size=6))
def test_csv_survives_rows_gone_wrong(rows: list[list[str]]) -> None:
    lines = CSV_TEXT.splitlines()[:3] + [",".join(r) for r in rows]
    survives(lambda: parse_csv("\n".join(lines).encode(), "fuzz", "AL"))


GA_SETTINGS = json.loads((CLARITY_FIXTURES / "20201103_ga_electionsettings_test.json").read_bytes())
SETTINGS_PATHS = paths(GA_SETTINGS)


@FUZZ
@given(st.sampled_from(SETTINGS_PATHS), json_values)
def test_clarity_settings_survive_one_field_gone_wrong(path: tuple[Any, ...], value: Any) -> None:
    survives(lambda: parse_test_mode(json.dumps(replaced(GA_SETTINGS, path, value)).encode(), "fuzz"))


@FUZZ
@given(st.binary(max_size=200))
def test_clarity_settings_survive_arbitrary_bytes(data: bytes) -> None:
    survives(lambda: parse_test_mode(data, "fuzz"))
