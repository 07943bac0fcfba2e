"""Both readings of the due rows (every channel, and a worker's claimed channels) carry the same
columns. An upload whose file id is lost on the claimed path would skip its crash check
(``files.info``) and could be shared twice by a worker that took the channel over."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.core.picture_orders import PictureOrder
from bot.store.database import Delivery, Store
from tests.databases import db_url

NOW = datetime(2017, 12, 13, 4, 30, tzinfo=UTC)


def _order(race: str) -> PictureOrder:
    return PictureOrder("al", race, "chart", NOW.isoformat(), False, f"al/{race}/call")


def test_claimed_and_unclaimed_due_rows_are_the_same_rows(tmp_path: Path) -> None:
    store = Store(db_url(tmp_path / "due.db"))
    try:
        store.enqueue([(_order("AL-S"), "C1", "slack"), (_order("AL-S"), "C2", "slack")], now=NOW)
        first = store.due("slack", now=NOW)
        store.note_upload(first[0].id, "F0UPLOADED")

        def view(rows: list[Delivery]) -> list[tuple[object, ...]]:
            return [(d.id, d.channel, d.status, d.attempts, d.upload_file_id, d.alert.key) for d in rows]

        everything = store.due("slack", now=NOW)
        claimed = store.due_in("slack", ["C1", "C2"], now=NOW)
        assert view(claimed) == view(everything)
        assert [d.upload_file_id for d in claimed] == ["F0UPLOADED", None]
        assert view(store.due_in("slack", ["C2"], now=NOW)) == view(everything)[1:]
        assert store.due_in("slack", [], now=NOW) == []
    finally:
        store.close()
