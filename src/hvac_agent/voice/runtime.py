"""Process settings for real-time audio.

A full (generation 2) garbage collection walks every object in the process — the app, numpy,
the models — and can stall the event loop for 10 ms or more, which is half an audio frame for
every call at once. `gc.freeze()` after start-up moves everything allocated so far out of the
collector's sight; the per-frame garbage of calls is young and collected cheaply.
"""

from __future__ import annotations

import gc


def tune_gc_for_audio() -> None:
    """Call once after start-up (engines and app built), before calls arrive."""
    gc.collect()
    gc.freeze()
