"""The cyclic garbage collector held off while a big reply turns into objects.

Why: a national AP reply is about 100,000 candidate rows; decoding and normalizing it allocates
a few million containers, and CPython runs a collection every 700 of them, each walking the
young objects and, every so often, everything alive, the stored snapshot included. None of
these objects form cycles (JSON trees and frozen dataclasses), so the collections find nothing:
measured on the national benchmark, they were more than half of ``parse_ap``'s time. Reference
counting still frees everything as usual; the collector runs again as soon as the block ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


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
            gc.enable()
