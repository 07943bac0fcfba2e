"""Hostile shapes, second round: real AP and Clarity replies from ../shared, mutated one place at a
time, played through the real pipeline (``replay``: the loopback site or the disk, the poller,
the store, the delivery worker, the console and the fake Slack) and through the pictures'
desk. One odd value must cost one race, one picture or one line of a message, never the night.

1. A reply whose ``timestamp`` is a placeholder, ``0001-01-01T00:00:00Z`` (.NET's
   ``DateTime.MinValue``, what a feed writes for "no time"): the time was fine in UTC and
   stored, but in year 0 on any US state's clock, so every alert of the poll raised
   OverflowError in its renderer; the worker kept the first and retried it for ever, and the
   channel heard nothing more that night (replay: exit 1, 0 delivered, 4 pending).
2. Feed words drawn in a picture are text, never TeX: an office named ``$\\frac{1}{$`` made
   matplotlib's mathtext raise (the picture lost, a traceback per ask), and ``$5 fee for $10
   bond`` was drawn as an italic formula ("5feefor").
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app.pictures import PictureDesk, default_figures
from bot.app.rehearse import replay
from bot.app.settings import Secrets
from bot.core.commands import parse as parse_command
from bot.core.model import Snapshot
from bot.core.rules import RuleSettings
from bot.feeds.ap import parse_ap
from bot.rehearsal.recording import open_inputs
from bot.store.database import Store
from tests.databases import db_url
from tests.fakes.slack_api import FakeSlack
from tests.integration.feeds.samples import SHARED_SAMPLES, needs_shared

NATIONAL = SHARED_SAMPLES / "ap" / "20151103_national.json"
#: .NET's DateTime.MinValue as JSON writes it: a feed's "no time yet"
PLACEHOLDER = "0001-01-01T00:00:00Z"
NO_SLACK = Secrets.from_env({})

pytestmark = needs_shared


@pytest.fixture(autouse=True)
def _no_outside_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "ELECTIONBOT_CONFIG", "ELECTIONBOT_CHANNELS", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def national(**top: Any) -> dict[str, Any]:
    """The 2015 national reply (Kentucky's governor by county, Colorado's ballot issues)."""
    doc = json.loads(NATIONAL.read_text(encoding="utf-8"))
    doc.update(top)
    return doc


def saved(tmp_path: Path, name: str, doc: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


# -- 1. a placeholder time -----------------------------------------------------------------------


@pytest.mark.parametrize("via", ["disk", "http"])
def test_a_placeholder_reply_time_costs_no_alert(tmp_path: Path, via: str) -> None:
    later = national(timestamp="2015-11-04T21:00:00Z")
    for race in later["races"]:
        for unit in race["reportingUnits"]:
            for candidate in unit["candidates"]:
                candidate["voteCount"] += 1000 if candidate.get("ballotOrder") == 2 else 0
    files = [saved(tmp_path, "1.json", national(timestamp=PLACEHOLDER)), saved(tmp_path, "2.json", later)]
    out = io.StringIO()
    result = replay(open_inputs(files), via=via, speed=0, out=out, secrets=NO_SLACK, drain_seconds=5.0)
    text = out.getvalue()
    assert result.pending == 0, text[-2000:]
    assert "Kentucky Governor: RACE CALLED: Matt Bevin (GOP) wins" in text
    assert "12:00 a.m. UTC" in text  # the placeholder said as it is, in UTC
    assert "Traceback" not in text


def test_a_placeholder_reply_time_reaches_slack(tmp_path: Path) -> None:
    files = [saved(tmp_path, "1.json", national(timestamp=PLACEHOLDER))]
    with FakeSlack() as slack:
        result = replay(
            open_inputs(files),
            via="disk",
            speed=0,
            out=io.StringIO(),
            secrets=Secrets("xoxb-test", None, slack.base_url),
            base={"alerts": {"channels": ["C0DESK"], "style": "messages"}},
            drain_seconds=5.0,
        )
        keys = [p["metadata"]["event_payload"]["alert_key"] for p in slack.posts("C0DESK")]
    assert result.pending == 0
    assert len(result.alerts) >= 4 and keys == [alert.key for alert in result.alerts]  # every alert, once


# -- 2. feed words are text in the pictures ----------------------------------------------------


def kentucky(office: str) -> Snapshot:
    reply = parse_ap(NATIONAL.read_bytes(), "ky")
    races = [replace(r, office=office) if r.state == "KY" else r for r in reply.races]
    return Snapshot.of("ky", reply.timestamp or datetime(2015, 11, 4, tzinfo=UTC), races)


@pytest.mark.parametrize("picture", ["chart", "map margin"])
@pytest.mark.parametrize("office", ["Governor $\\frac{1}{$", "Governor ($5 fee for $10 bond)"])
def test_feed_words_in_a_picture_are_never_tex(tmp_path: Path, office: str, picture: str) -> None:
    store = Store(db_url(tmp_path / "bot.db"))
    try:
        snapshot = kentucky(office)
        store.commit_poll(snapshot, {}, {}, [], datetime(2026, 11, 3, tzinfo=UTC))
        later = replace(snapshot, generated_at=snapshot.generated_at + timedelta(minutes=5))
        store.commit_poll(later, {}, {}, [], datetime(2026, 11, 3, 0, 5, tzinfo=UTC))
        desk = PictureDesk(store, default_figures(store, RuleSettings()), platforms=("discord",))
        drawn = desk.command_picture(parse_command(f"kentucky {picture}"))
        assert not isinstance(drawn, str), drawn
        assert drawn.png.startswith(b"\x89PNG")
        assert drawn.title.startswith(f"Kentucky {office}")  # the words as the feed wrote them
        assert _read_as_tex(office) is False
    finally:
        store.close()


def _read_as_tex(office: str) -> bool:
    """Whether a Text made under the pictures' style reads ``office`` as mathtext (what the
    figure's title does with it; the PNG alone cannot say which glyphs were drawn)."""
    from matplotlib.text import Text

    from bot.render.figure import drawing

    with drawing():
        return bool(Text(0, 0, office)._preprocess_math(office)[1])


# -- 3. New England towns on a county map --------------------------------------------------------

SUPER_TUESDAY = SHARED_SAMPLES / "ap" / "20160301_super_tuesday.json"


def test_a_map_of_new_england_towns_shows_their_counties_counted(tmp_path: Path) -> None:
    """Massachusetts by town (351 rows, each with its county's FIPS, no county rows): the margin
    map hatched all 14 counties and its alt text said "0 of 14 counties in ... 14 counties have
    no votes yet", with every town in. Now the towns are summed into their counties."""
    from fractions import Fraction

    from bot.render.county_map import margin_data

    reply = parse_ap(SUPER_TUESDAY.read_bytes(), "ma")
    store = Store(db_url(tmp_path / "bot.db"))
    try:
        store.commit_poll(Snapshot.of("ma", reply.timestamp or datetime(2016, 3, 2, tzinfo=UTC), reply.races), {}, {}, [])
        desk = PictureDesk(store, default_figures(store, RuleSettings()), platforms=("discord",))
        drawn = desk.command_picture(parse_command("massachusetts gop map margin"))
    finally:
        store.close()
    assert not isinstance(drawn, str), drawn
    assert "14 of 14 counties in" in drawn.alt_text and "no votes yet" not in drawn.alt_text, drawn.alt_text
    assert "Statewide: R+31.3 points." in drawn.alt_text  # the party letter kept ("r+31.3" before)
    # Suffolk County (25025) from the reply's own town rows, exactly
    doc = json.loads(SUPER_TUESDAY.read_text(encoding="utf-8"))
    [raw] = [r for r in doc["races"] if r.get("party") == "GOP"]
    votes: dict[str, int] = {}
    for unit in raw["reportingUnits"]:
        if unit.get("fipsCode") == "25025":
            for c in unit["candidates"]:
                votes[c["last"]] = votes.get(c["last"], 0) + c["voteCount"]
    race = next(r for r in reply.races if r.party == "GOP")
    data = margin_data(race)
    assert data is not None and len(data.values) == 14 and not data.not_in
    expected = Fraction(votes["Trump"] - votes["Kasich"], sum(votes.values())) * 100
    assert data.values["25025"] == float(expected)
