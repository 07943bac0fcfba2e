"""The cyclic garbage collector held off while a big reply turns into objects, and what such a
block leaves behind kept out of the collector's young generations afterwards.

Why: a national AP reply is about 100,000 candidate rows; decoding and normalizing it allocates
a few million containers, and CPython runs a collection every 700 of them, each walking the
young objects and, every so often, everything alive, the stored snapshot included. None of
these objects form cycles (JSON trees and frozen dataclasses), so the collections find nothing:
measured on the national benchmark, they were more than half of ``parse_ap``'s time. Reference
counting still frees everything as usual.

Turning the collector back on is not free either: the first allocations after a national first
poll found a young generation of millions of survivors (the new snapshot, its race texts, the
rules' memory) and walked it twice, once as generation 0 and once as generation 1: about 0.4 s
of a 2-core machine, finding a few hundred objects. So a block that leaves many objects behind
*freezes* them (``gc.freeze``: moved to the permanent generation, which collections skip; an
O(1) list splice), and the collector starts the next allocations with empty young generations.

Why that is safe. Freezing never keeps an object alive: a frozen object is still reference
counted and freed the moment its last reference goes (the previous snapshot's races, replaced
by a later poll, are freed so). What freezing delays is only the collection of *cyclic* garbage
that was alive-but-unreachable at the freeze (a few hundred objects per poll: SQLAlchemy and
logging internals, another thread's half-done work). Left frozen for good, that would grow
with every poll; so every ``THAW_EVERY`` freezes everything is handed back (``gc.unfreeze``)
and one full collection runs there and then, finding those cycles. The leak is bounded by
``THAW_EVERY`` polls' worth of cycles, and the full walk, which the collector would have done
on its own every poll or two after a national one, is paid once per ``THAW_EVERY`` big blocks.
A small block (a delta poll, a one-race feed) freezes nothing: its young objects are collected
as usual.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: a block that leaves at least this many new tracked containers behind freezes them: walking
#: fewer than this costs a few milliseconds, while a national poll leaves millions
FREEZE_AFTER_OBJECTS = 100_000
#: every this many freezes, everything frozen goes back to the collector and a full collection
#: runs (what bounds the cyclic garbage a freeze can hold back)
THAW_EVERY = 10

_lock = threading.Lock()
_freezes = 0


@contextmanager
def gc_paused() -> Iterator[None]:
    """Nestable and thread-tolerant: only the block that found the collector on turns it back
    on, so it is never left off (at worst another thread's block runs with it on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            try:
                _settle()
            finally:
                gc.enable()


def _settle() -> None:
    """Freeze what a big block left behind, or every ``THAW_EVERY`` freezes collect everything."""
    global _freezes
    if gc.get_count()[0] < FREEZE_AFTER_OBJECTS:
        return
    with _lock:
        _freezes += 1
        thaw = _freezes >= THAW_EVERY
        if thaw:
            _freezes = 0
    if thaw:
        gc.unfreeze()
        gc.collect()
    else:
        gc.freeze()
