"""The garbage collector and a served hub's start-up heap."""

from __future__ import annotations

import gc

__all__ = ["freeze_startup_heap"]


def freeze_startup_heap() -> None:
    """Leave everything start-up made to the permanent generation (:func:`gc.freeze`).

    What a served hub holds from start-up (imported modules, plugins, tool schemas,
    the SDK's types) lives as long as the process. Left in the collected
    generations, every full collection walks all of it again (about 25 ms here with
    only the example plugin loaded), and a hub that keeps objects a while, such as
    the audit writer's batches, triggers full collections more often. Frozen, a full
    collection walks only what was made since. Start-up's garbage (about 20 objects
    here) is frozen with it, on purpose: collecting it first would cost a full
    collection at every start.

    Called by ``mcpea serve`` (stdio and HTTP) once the hub has started; an
    application that embeds the hub decides about its own heap.
    """
    gc.freeze()
