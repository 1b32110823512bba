"""Pausing the cycle collector while thousands of JSON documents are built at once."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_pausers = 0
_resume = False


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause cyclic garbage collection for a bulk parse (JSON documents hold no cycles)."""
    # Thousands of new documents set off full collections over every object in the process;
    # each holds the GIL, and so the event loop, for a tenth of a second. Paused, the new
    # documents are looked at once, after. Refcounting frees memory as usual meanwhile.
    global _pausers, _resume
    with _lock:
        if _pausers == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pausers += 1
    try:
        yield
    finally:
        with _lock:
            _pausers -= 1
            if _pausers == 0 and _resume:
                gc.enable()
