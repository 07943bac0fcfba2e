"""The collector paused over a big block, what the block leaves frozen, and cyclic garbage still
collected within ``THAW_EVERY`` big blocks (bot/feeds/gc_pause.py)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from bot.feeds import gc_pause
from bot.feeds.gc_pause import gc_paused


class _Node:
    """A weakly referenceable object that can sit in a cycle."""

    other: object = None


@pytest.fixture(autouse=True)
def _small_blocks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Blocks of a few thousand objects count as big here; the process is left as found."""
    monkeypatch.setattr(gc_pause, "FREEZE_AFTER_OBJECTS", 2_000)
    monkeypatch.setattr(gc_pause, "THAW_EVERY", 3)
    monkeypatch.setattr(gc_pause, "_freezes", 0)
    was_enabled = gc.isenabled()
    gc.enable()
    gc.collect()
    yield
    gc.unfreeze()
    gc.collect()
    if not was_enabled:
        gc.disable()


def _big_block(keep: list[object]) -> None:
    with gc_paused():
        assert not gc.isenabled()
        keep.extend([i] for i in range(5_000))  # 5,000 tracked lists that outlive the block


def test_a_big_block_leaves_its_objects_frozen_and_the_collector_on() -> None:
    frozen = gc.get_freeze_count()
    keep: list[object] = []
    _big_block(keep)
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen + 5_000
    assert gc.get_count()[0] < 1_000  # the young generation starts empty: nothing to walk


def test_a_small_block_freezes_nothing() -> None:
    frozen = gc.get_freeze_count()
    with gc_paused():
        keep = [[i] for i in range(100)]
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen
    assert len(keep) == 100


def test_a_nested_block_leaves_the_collector_to_the_outer_one() -> None:
    frozen = gc.get_freeze_count()
    with gc_paused():
        keep: list[object] = []
        _big_block(keep)
        assert not gc.isenabled()
        assert gc.get_freeze_count() == frozen
    assert gc.isenabled()


def test_frozen_objects_are_still_freed_by_reference_counting() -> None:
    frozen = gc.get_freeze_count()
    with gc_paused():
        node = _Node()
        extra = [[i] for i in range(5_000)]
    watch = weakref.ref(node)
    assert gc.get_freeze_count() >= frozen + 5_000  # the node was frozen with the rest
    del node, extra
    assert watch() is None  # freed at once, with no collection


def test_cyclic_garbage_a_freeze_held_back_is_collected_within_thaw_every_blocks() -> None:
    keep: list[object] = []
    with gc_paused():
        a, b = _Node(), _Node()
        a.other, b.other = b, a  # a cycle, unreachable once the names go
        keep.extend([i] for i in range(5_000))
        watch = weakref.ref(a)
        del a, b
    assert watch() is not None  # frozen with the block's survivors: no collection finds it
    gc.collect()
    assert watch() is not None
    _big_block(keep)  # the second freeze
    assert watch() is not None
    _big_block(keep)  # the third big block thaws everything and collects in full
    assert watch() is None
    assert gc.isenabled()
