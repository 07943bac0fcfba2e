"""The figures bound to the store (``bot.app.pictures.default_figures``): what ``/results … chart |
map`` and the call's pictures draw is the render layer's picture of the stored race and its
stored history; what cannot be drawn is said once (one log line per snapshot version, never a
traceback above DEBUG), remembered like a picture, and told to the asker in a sentence."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app.pictures import FIGURE_FAILED, NotDrawn, PictureDesk, default_figures
from bot.app.settings import rule_settings, settings_from_dict
from bot.core.commands import parse as parse_command
from bot.core.context import ContextSettings
from bot.rehearsal.scenarios import load_scenario
from bot.render.chart import race_chart
from bot.render.county_map import margin_map, swing_map
from bot.store.database import Store
from tests.databases import db_url
from tests.unit.pictures.alabama import KEY, baseline, history

FEED = "al-2017"
AT = datetime(2026, 11, 3, tzinfo=UTC)
PLAIN = rule_settings(settings_from_dict({"feeds": [{"name": FEED, "kind": "json", "url": "http://x.invalid/"}]}))
RULES = replace(PLAIN, context=ContextSettings(baselines={"AL": baseline()}))


def _night(tmp_path: Path) -> Store:
    store = Store(db_url(tmp_path / "bot.db"))
    for n, snapshot in enumerate(load_scenario()):
        store.commit_poll(snapshot, {}, {}, [], AT + timedelta(minutes=n))
    return store


def _repoll(store: Store, n: int) -> None:
    """The feed polled again (same numbers): a new snapshot version."""
    last = load_scenario()[-1]
    store.commit_poll(
        replace(last, generated_at=last.generated_at + timedelta(minutes=n)), {}, {}, [], AT + timedelta(hours=n)
    )


def test_the_bound_figures_draw_the_stored_night(tmp_path: Path) -> None:
    store = _night(tmp_path)
    figures = default_figures(store, RULES)
    race = load_scenario()[-1].races[KEY]
    assert figures["chart"](FEED, KEY) == race_chart(race, history(), RULES)
    assert figures["swing_map"](FEED, KEY) == swing_map(race, baseline())
    assert figures["margin_map"](FEED, KEY) == margin_map(race)
    # no baseline configured: no swing map, and the reason in words; the others as before
    assert isinstance(default_figures(store, PLAIN)["swing_map"](FEED, KEY), NotDrawn)
    assert figures["chart"](FEED, "AL-9999") is None and figures["chart"]("other-feed", KEY) is None
    store.close()


def test_a_national_race_has_no_county_map_and_says_so_once(tmp_path: Path, caplog) -> None:
    """A race whose state is "US" (a national popular vote): there are no county shapes of "US";
    before, ``default_figures`` raised ShapesError with a traceback on every ask."""
    caplog.set_level(logging.DEBUG, "electionbot.pictures")
    store = Store(db_url(tmp_path / "bot.db"))
    last = load_scenario()[-1]
    national = replace(last.races[KEY], state="US")
    store.commit_poll(replace(last, races={"US-1000": national}), {}, {}, [], AT)
    desk = PictureDesk(store, default_figures(store, RULES))
    for _ in range(3):
        assert desk.drawing(FEED, "US-1000", "margin_map") == NotDrawn("there is no county map of US")
    said = [r for r in caplog.records if "no county map" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.INFO and not said[0].exc_info
    assert desk.picture(FEED, "US-1000", "chart") is not None  # the chart needs no shapes
    store.close()


def test_a_figure_that_fails_is_one_line_per_version_and_a_sentence_to_the_asker(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.DEBUG, "electionbot.pictures")
    store = _night(tmp_path)
    tries: list[str] = []

    def broken(feed: str, race_key: str) -> None:
        tries.append(race_key)
        raise ZeroDivisionError("division by zero")

    desk = PictureDesk(store, {"chart": broken})
    asked = parse_command("alabama chart")
    answers = {desk.command_picture(asked) for _ in range(3)}
    assert answers == {f"Could not draw the night's chart of AL U.S. Senate: {FIGURE_FAILED}."}
    assert len(tries) == 1  # remembered for this version: asked again, not drawn again
    assert desk.picture(FEED, KEY, "chart") is None  # the worker and the chart route: nothing to send
    said = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(said) == 1 and said[0].levelno == logging.WARNING and not said[0].exc_info
    assert "ZeroDivisionError: division by zero" in said[0].getMessage() and KEY in said[0].getMessage()
    assert [r for r in caplog.records if r.exc_info and r.levelno == logging.DEBUG]  # the traceback, at DEBUG
    # the Slack answer with no public URL says it too, rather than promising a DM
    assert desk.command_answer(asked)["text"] == f"Could not draw the night's chart of AL U.S. Senate: {FIGURE_FAILED}."

    _repoll(store, 1)  # a new version: tried afresh, once
    desk.command_picture(asked)
    desk.command_picture(asked)
    assert len(tries) == 2 and len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2
    store.close()
