"""The store's race history: one row per change, in the snapshot's own transaction, pruned after
``history_days``, read back without decoding a snapshot; and the night's chart drawn from it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from bot.codec import native
from bot.core.events import EventKind
from bot.core.night import night_moments
from bot.rehearsal.scenarios import load_scenario
from bot.render.chart import chart_data, chart_figure
from bot.store.database import Store
from bot.store.history import RaceHistoryRow, race_history
from tests.databases import db_url
from tests.unit.pictures.alabama import KEY, history, rules

FEED = "al-2017"
T0 = datetime(2026, 11, 3, 20, 0, tzinfo=UTC)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return db_url(tmp_path / "bot.db")


def _rows(store: Store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(RaceHistoryRow)) or 0


def _replay(store: Store, upto: int | None = None) -> None:
    for n, snapshot in enumerate(load_scenario()[:upto]):
        store.commit_poll(snapshot, {}, {}, [], T0 + timedelta(minutes=n))


def test_the_alabama_night_keeps_one_row_per_change(url: str) -> None:
    store = Store(url)
    _replay(store)
    night = load_scenario()
    # 49 snapshots; snapshot 46 repeats 45's count and call (the feed republished): 48 rows
    assert _rows(store) == len(history()) == 48 < len(night)
    stored = race_history(store, FEED, KEY)
    assert stored == history()
    for _ in range(3):  # the feed unchanged, polled again: nothing new
        store.commit_poll(night[-1], {}, {}, [], T0 + timedelta(hours=2))
    assert _rows(store) == 48
    store.close()


def test_a_restarted_store_compares_with_the_last_rows(url: str) -> None:
    first = Store(url)
    _replay(first, upto=30)
    first.close()
    again = Store(url)  # holds no snapshot of its own: compares each race with its last row
    night = load_scenario()
    again.commit_poll(night[29], {}, {}, [], T0 + timedelta(hours=1))
    assert _rows(again) == len(history(upto=30))
    again.commit_poll(night[30], {}, {}, [], T0 + timedelta(hours=1, minutes=1))
    assert race_history(again, FEED, KEY) == history(upto=31)
    again.close()


def test_a_failed_commit_writes_no_history(url: str) -> None:
    store = Store(url)
    night = load_scenario()
    store.commit_poll(night[10], {}, {}, [], T0)

    def refuse(session) -> None:  # noqa: ANN001
        raise RuntimeError("the database went away at COMMIT")

    event.listen(store._sessions, "before_commit", refuse)
    with pytest.raises(RuntimeError):
        store.commit_poll(night[11], {}, {}, [], T0 + timedelta(minutes=1))
    event.remove(store._sessions, "before_commit", refuse)
    assert [p.at for p in race_history(store, FEED, KEY)] == [night[10].generated_at]
    store.commit_poll(night[11], {}, {}, [], T0 + timedelta(minutes=2))  # the retried poll: once
    assert [p.at for p in race_history(store, FEED, KEY)] == [night[10].generated_at, night[11].generated_at]
    store.close()


def test_rows_are_pruned_after_history_days(url: str) -> None:
    store = Store(url)
    store.history_days = 14
    night = load_scenario()
    store.commit_poll(night[10], {}, {}, [], T0)
    store.commit_poll(night[11], {}, {}, [], T0 + timedelta(days=1))
    store.commit_poll(night[12], {}, {}, [], T0 + timedelta(days=14))  # the first row is 14 days old: kept
    assert _rows(store) == 3
    store.commit_poll(night[13], {}, {}, [], T0 + timedelta(days=14, seconds=1))
    assert [p.at for p in race_history(store, FEED, KEY)] == [s.generated_at for s in night[11:14]]
    store.close()


def test_reading_the_history_decodes_no_snapshot(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    worker = Store(url)
    _replay(worker)
    web = Store(url)  # another process's store: it has decoded nothing yet
    decodes: list[str] = []
    real_read = native.read

    def counted(document: str, feed: str):  # noqa: ANN202
        decodes.append(feed)
        return real_read(document, feed)

    monkeypatch.setattr(native, "read", counted)
    assert len(race_history(web, FEED, KEY)) == 48
    assert decodes == []
    web.latest_snapshots()  # the control: a snapshot read does decode
    assert decodes == [FEED]
    web.close()
    worker.close()


def test_the_chart_plots_the_stored_history(url: str) -> None:
    store = Store(url)
    _replay(store)
    race = store.latest_snapshots()[0].races[KEY]
    points = race_history(store, FEED, KEY)
    moments = night_moments(race, points, rules())
    data = chart_data(race, points, moments, threshold=Fraction(1, 200))
    assert data is not None
    fig = chart_figure(race, data)
    (line,) = [ln for ln in fig.axes[0].lines if ln.get_gid() == "margin"]
    with store.session() as s:
        rows = s.execute(select(RaceHistoryRow.votes).order_by(RaceHistoryRow.id)).scalars().all()
    stored = [json.loads(r) for r in rows]
    expected = [float(Fraction(v["jones"] - v["moore"], sum(v.values())) * 100) for v in stored if sum(v.values())]
    assert list(line.get_ydata()) == pytest.approx(expected, abs=1e-12)
    kinds = [m.kind for m in moments]
    assert EventKind.LEAD_CHANGE in kinds and EventKind.RACE_CALLED in kinds
    store.close()
