"""Whatever bytes arrive, an adapter answers with the documented error (a FeedError that says
what was wrong) or races whose totals equal an independent reading of the same payload
(``tests/integration/feeds/fuzz_oracles.py``): never a crash, never a wrong number.

Arbitrary bytes and arbitrary JSON rarely get past the first check, so the strongest
properties start from a valid fixture and replace one node with something arbitrary: that is
how a real feed goes wrong (one field of one row). A race the fault did not touch must then
survive it: one odd race costs one race, never the reply.
"""

from __future__ import annotations

import csv
import json
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.codec.errors import FeedError
from bot.feeds.ap import parse_ap
from bot.feeds.clarity import parse_detail_xml, parse_summary, parse_test_mode, read_detail_zip
from bot.feeds.csv_feed import parse_csv

from .fuzz_oracles import (
    UNREADABLE,
    UNSURE,
    ap_reading,
    check_races,
    csv_reading,
    detail_reading,
    outcome,
    settings_reading,
    summary_reading,
)
from .samples import CLARITY_FIXTURES, CSV_FIXTURES, ap_doc, zip_of

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


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


AP_DOCS = [
    ap_doc(n)
    for n in (
        "20171212_al_senate_full.json",
        "20170815_al_senate_gop_primary.json",
        "20201103_me_president_v3.json",
        "20171212_al_senate_initialization.json",
    )
]
AP_PATHS = [(i, p) for i, d in enumerate(AP_DOCS) for p in paths(d)]
GA_SUMMARY = json.loads((CLARITY_FIXTURES / "20201103_ga_summary.json").read_bytes())
SUMMARY_PATHS = paths(GA_SUMMARY)
AL_1000_TOTAL = 300_000 + 310_000 + 9_000  # Jones, Moore, write-ins on the fixture's state row


def _json(data: bytes) -> Any:
    """Our own reading of a body the adapter accepted: it must be JSON to us too."""
    return json.loads(data.decode("utf-8-sig"))


def check_ap(payload: bytes, must_keep: list[str] | None = None) -> None:
    result = outcome(lambda: parse_ap(payload, "fuzz"))
    if isinstance(result, FeedError):
        assert not must_keep, f"one odd race cost the whole reply: {result}"
        return
    check_races(result.races, ap_reading(_json(payload)), result.left_out, must_keep or ())


def test_ap_fixtures_read_as_the_independent_reading_reads_them() -> None:
    """The oracle is not vacuous: on the clean fixtures it finds every race and the same totals."""
    for doc in AP_DOCS:
        reading = ap_reading(doc)
        reply = parse_ap(json.dumps(doc).encode(), "fixture")
        assert reply.races and {r.key for r in reply.races} == set(reading)
        assert {r.key: r.state_unit.total_votes if r.state_unit else None for r in reply.races} == {
            k: (v if isinstance(v, int) else None) for k, v in reading.items()
        }
    assert ap_reading(AP_DOCS[0])["AL-1000"] == AL_1000_TOTAL


@FUZZ
@given(st.binary(max_size=400))
@example(b'{"races": []}')
@example(b"\xef\xbb\xbf{}")
def test_ap_arbitrary_bytes_give_an_error_or_right_totals(data: bytes) -> None:
    check_ap(data)


@FUZZ
@given(json_values)
@example(
    {
        "races": [
            {
                "raceID": "1",
                "statePostal": "AL",
                "reportingUnits": [{"level": "state", "candidates": [{"candidateID": "1", "last": "A", "voteCount": 5}]}],
            }
        ]
    }
)
def test_ap_arbitrary_json_gives_an_error_or_right_totals(value: Any) -> None:
    check_ap(json.dumps(value).encode())


@FUZZ
@given(st.sampled_from(AP_PATHS), json_values)
def test_ap_one_field_gone_wrong_costs_at_most_its_race(where: tuple[int, tuple[Any, ...]], value: Any) -> None:
    index, path = where
    doc = replaced(AP_DOCS[index], path, value)
    original = ap_reading(AP_DOCS[index])
    reading = ap_reading(doc)
    inside = len(path) >= 2 and path[0] == "races"
    # the races the fault did not touch (the same key and total as before, no other race now under their key)
    untouched = [
        k
        for i, raw in enumerate(AP_DOCS[index]["races"])
        if inside and i != path[1]
        for k in original
        if reading.get(k) == original[k] and k in ap_reading({"races": [raw]})
    ]
    check_ap(json.dumps(doc).encode(), untouched)


@FUZZ
@given(st.binary(max_size=400))
def test_clarity_summary_arbitrary_bytes_give_an_error_or_right_totals(data: bytes) -> None:
    result = outcome(lambda: parse_summary(data, "fuzz", "GA"))
    if not isinstance(result, FeedError):
        check_races(result, summary_reading(_json(data), "GA"), None)


def test_clarity_summary_fixture_reads_as_the_independent_reading_reads_it() -> None:
    races = parse_summary(json.dumps(GA_SUMMARY).encode(), "fixture", "GA", site="county")
    reading = summary_reading(GA_SUMMARY, "GA")
    assert len(races) == len(reading) == 3
    assert {r.key: r.state_unit.total_votes for r in races} == reading
    assert reading["GA-5000"] == 20_150 + 30_640 + 700


@FUZZ
@given(st.sampled_from(SUMMARY_PATHS), json_values)
def test_clarity_summary_one_field_gone_wrong_costs_at_most_its_race(path: tuple[Any, ...], value: Any) -> None:
    doc = replaced(GA_SUMMARY, path, value)
    left_out: list[Any] = []
    result = outcome(lambda: parse_summary(json.dumps(doc).encode(), "fuzz", "GA", site="county", left_out=left_out))
    original, reading = summary_reading(GA_SUMMARY, "GA"), summary_reading(doc, "GA")
    untouched = [
        k
        for i, raw in enumerate(GA_SUMMARY)
        if path and i != path[0]
        for k in summary_reading([raw], "GA")
        if reading.get(k) == original[k]
    ]
    if isinstance(result, FeedError):
        assert not untouched, f"one odd contest cost the whole reply: {result}"
        return
    check_races(result, reading, left_out, untouched)


TAGS = [
    "ElectionResult",
    "Region",
    "Timestamp",
    "ElectionName",
    "ElectionDate",
    "Contest",
    "Choice",
    "VoteType",
    "County",
    "Precinct",
    "VoterTurnout",
    "Precincts",
    "ElectionVoterTurnout",
    "Counties",
    "ParticipatingCounties",
]
ATTRS = [
    "key",
    "text",
    "name",
    "votes",
    "totalVotes",
    "party",
    "voteFor",
    "precinctsReported",
    "precinctsParticipating",
    "precinctsReporting",
    "percentReporting",
]
attr_values = st.sampled_from(
    ["1", "0", "4", "-1", "", "x", "GA", "1e9", "99999999999999999999", "&amp;", "Trump (I) (Rep)"]
) | st.text(max_size=6)
element = st.recursive(
    st.builds(lambda t: (t, {}, []), st.sampled_from(TAGS)),
    lambda inner: st.builds(
        lambda t, a, c: (t, a, c),
        st.sampled_from(TAGS),
        st.dictionaries(st.sampled_from(ATTRS), attr_values, max_size=4),
        st.lists(inner, max_size=4),
    ),
    max_leaves=25,
)


def xml_of(node: tuple[str, dict[str, str], list[Any]]) -> str:
    from xml.sax.saxutils import quoteattr

    tag, attrs, children = node
    attributes = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
    return f"<{tag}{attributes}>{''.join(xml_of(c) for c in children)}</{tag}>"


@FUZZ
@given(
    st.builds(
        lambda c, r: ("ElectionResult", {}, [("Region", {}, []), *c]) if r else ("ElectionResult", {}, c),
        st.lists(element, max_size=4),
        st.booleans(),
    ),
    st.sampled_from([None, "GA"]),
)
def test_clarity_detail_xml_shaped_nonsense_gives_an_error_or_right_totals(tree: Any, state: str | None) -> None:
    check_detail(xml_of(tree).encode(), state)


def check_detail(data: bytes, state: str | None) -> None:
    result = outcome(lambda: parse_detail_xml(data, "fuzz", state))
    if isinstance(result, FeedError):
        return
    for race in result.races:
        check_races([race], detail_reading(data, race.state), None)


def test_clarity_detail_fixtures_read_as_the_independent_reading_reads_them() -> None:
    for name, state in (("20201103_ga_detail.xml", "GA"), ("20140520_ky_greenup_detail.xml", "KY")):
        data = (CLARITY_FIXTURES / name).read_bytes()
        detail = parse_detail_xml(data, "fixture", state)
        reading = detail_reading(data, state)
        assert detail.races and {r.key: r.state_unit.total_votes for r in detail.races} == reading


@FUZZ
@given(st.sampled_from(["20201103_ga_detail.xml", "20140520_ky_greenup_detail.xml"]), st.data())
def test_clarity_detail_one_attribute_gone_wrong_gives_an_error_or_right_totals(name: str, data: Any) -> None:
    """One attribute of one element of a real detail.xml replaced by something odd."""
    from xml.etree import ElementTree as ET

    root = ET.fromstring((CLARITY_FIXTURES / name).read_bytes())
    nodes = [(el, attr) for el in root.iter() for attr in el.attrib]
    el, attr = data.draw(st.sampled_from(nodes), label="attribute")
    el.set(attr, data.draw(attr_values, label="value"))
    check_detail(ET.tostring(root), "GA" if name.startswith("20201103") else "KY")


@FUZZ
@given(st.binary(max_size=400) | st.text(max_size=200).map(str.encode))
def test_clarity_detail_arbitrary_bytes_give_an_error_or_right_totals(data: bytes) -> None:
    check_detail(data, "GA")


DETAIL_XML = (CLARITY_FIXTURES / "20140520_ky_greenup_detail.xml").read_bytes()
DETAIL_ZIP = zip_of({"detail.xml": DETAIL_XML})


@FUZZ
@given(
    st.integers(min_value=0, max_value=len(DETAIL_ZIP) - 1),
    st.integers(min_value=0, max_value=255),
    st.one_of(st.just(len(DETAIL_ZIP)), st.integers(min_value=1, max_value=len(DETAIL_ZIP))),
)
@example(0, DETAIL_ZIP[0], len(DETAIL_ZIP))  # undamaged
@example(726, 64, 798)  # a central directory claiming zip version 6.4: zipfile raised NotImplementedError, not a FeedError
def test_detail_zip_corrupted_or_truncated_gives_an_error_or_the_very_xml(offset: int, byte: int, keep: int) -> None:
    damaged = bytearray(DETAIL_ZIP)
    damaged[offset] = byte
    result = outcome(lambda: read_detail_zip(bytes(damaged[:keep])))
    if not isinstance(result, FeedError):
        # one byte changed: either the zip's checks catch it, or it was not in the XML (a date, a comment)
        assert result == DETAIL_XML


def test_a_zip_of_something_else_is_an_error() -> None:
    for members in ({"other.xml": DETAIL_XML}, {"../detail.xml": DETAIL_XML}):
        err = outcome(lambda m=members: read_detail_zip(zip_of(m)))
        assert isinstance(err, FeedError) and "detail" in err.reason


CSV_TEXT = (CSV_FIXTURES / "20171212__al__special__general__precinct.csv").read_text(encoding="utf-8")


@FUZZ
@given(st.binary(max_size=400))
def test_csv_arbitrary_bytes_give_an_error_or_right_totals(data: bytes) -> None:
    check_csv(data)


def check_csv(data: bytes, untouched: list[str] | None = None) -> None:
    left_out: list[Any] = []
    result = outcome(lambda: parse_csv(data, "fuzz", "AL", left_out=left_out))
    try:
        reading = csv_reading(data.decode("utf-8-sig"), "AL")
    except (UnicodeDecodeError, csv.Error):
        reading = None
    if isinstance(result, FeedError):
        assert not untouched or reading is None, f"one odd row cost the whole file: {result}"
        return
    assert reading is not None, "a file without the required header was read"
    check_races(result.races.values(), reading, left_out, untouched or ())


def test_csv_fixture_reads_as_the_independent_reading_reads_it() -> None:
    snap = parse_csv(CSV_TEXT.encode(), "fixture", "AL")
    reading = csv_reading(CSV_TEXT, "AL")
    assert {k: r.state_unit.total_votes for k, r in snap.races.items()} == reading
    # Jones 815 + 400 + 91 + 5 + 300, Moore 950 + 600 + 70 + 9 + 700, write-ins 38 + 12 + 3 + 20; no turnout lines
    assert reading["AL-united-states-senator"] == 1_611 + 2_329 + 73


@FUZZ
@given(
    st.lists(
        st.lists(
            st.sampled_from(["", "A", "1", "-1", "2.5", "815.0", "Write-In", "Over Votes", '"', ",", "\n", "\x00", "é"])
            | st.text(max_size=5),
            max_size=9,
        ),
        max_size=6,
    )
)
@example([["Autauga", "1", "UNITED STATES SENATOR", "", "", "Doug Jones", "2.5", "x"]])  # not a whole number
@example([["", "1", "UNITED STATES SENATOR", "", "", "Doug Jones", "5", "x"]])  # no county
@example([["Autauga", "1", "UNITED STATES SENATOR", "", "", "Doug Jones", "815.0", "x"]])  # a float that is whole
def test_csv_rows_gone_wrong_cost_at_most_their_race(rows: list[list[str]]) -> None:
    """The whole fixture, then the odd rows: a race no odd row names keeps its total."""
    text = "\n".join(CSV_TEXT.splitlines() + [",".join(r) for r in rows])
    clean = csv_reading(CSV_TEXT, "AL")
    odd = csv_reading("\n".join(CSV_TEXT.splitlines()[:1] + [",".join(r) for r in rows]), "AL") or {}
    check_csv(text.encode(), [k for k in clean if k not in odd])


GA_SETTINGS = json.loads((CLARITY_FIXTURES / "20201103_ga_electionsettings_test.json").read_bytes())
SETTINGS_PATHS = paths(GA_SETTINGS)


@FUZZ
@given(st.sampled_from(SETTINGS_PATHS), json_values)
@example(("settings", "electiondetails", "istestmode"), "maybe")  # not a yes/no: refused, never guessed live
@example(("settings", "electiondetails", "istestmode"), 2)
@example(("settings", "electiondetails", "istestmode"), False)
def test_clarity_settings_one_field_gone_wrong_gives_an_error_or_the_flag(path: tuple[Any, ...], value: Any) -> None:
    check_settings(json.dumps(replaced(GA_SETTINGS, path, value)).encode())


def check_settings(data: bytes) -> None:
    result = outcome(lambda: parse_test_mode(data, "fuzz"))
    try:
        expected = settings_reading(_json(data))
    except (ValueError, UnicodeDecodeError):
        expected = UNREADABLE
    if expected == UNREADABLE:
        assert isinstance(result, FeedError), f"an unreadable test-mode flag was read as {result!r}"
    elif expected != UNSURE:
        assert result is expected


def test_clarity_settings_fixture_is_test_mode() -> None:
    assert settings_reading(GA_SETTINGS) is True and parse_test_mode(json.dumps(GA_SETTINGS).encode(), "fixture") is True


@FUZZ
@given(st.binary(max_size=200))
def test_clarity_settings_arbitrary_bytes_give_an_error_or_the_flag(data: bytes) -> None:
    check_settings(data)
