"""Memory management for the bulk paths: loading a world, a batch of 80,000 rows.

Those paths allocate millions of small containers (row dicts, results, ORM rows) and
form no reference cycles.  Every few thousand allocations the cyclic garbage collector
would walk all of them again, and the first collection after it is switched back on
would walk them once more; :func:`gc_paused` avoids both.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic collector off for the block; what survives it goes to the oldest
    generation.

    Objects made while the collector is off all sit in the youngest generation, and the
    first collection after it is switched back on would walk every one of them.
    ``gc.freeze`` then ``gc.unfreeze`` moves them to the oldest generation instead,
    which is walked only by the rare full collections; they are freed by reference
    counting as soon as they are no longer used, and any garbage cycle among them by
    the next full collection.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
