"""python-telegram-bot's Application, with the garbage collector tuned while it runs."""

from __future__ import annotations

import gc
from typing import Any

from telegram.ext import Application

__all__ = ["GC_THRESHOLDS", "TunedApplication"]

# The collector's thresholds while the application runs (Python's own: 700, 10, 10). Every
# update allocates thousands of objects (the parsed update, the dialog's state and replies, the
# Bot API exchange), almost none of them in reference cycles; at 700 the collector ran every few
# updates, and every few hundred a full collection examined every live object, stalling every
# chat for up to a tenth of a second under load.
GC_THRESHOLDS = (50_000, 20, 20)


class TunedApplication(Application[Any, Any, Any, Any, Any, Any]):
    """The Application, raising the collector's thresholds from `initialize` to `shutdown`
    (never lowering them), and giving the process back its own ones after."""

    _kept_thresholds: tuple[int, int, int] | None = None

    async def initialize(self) -> None:
        """Initialise the application, then collect garbage less often until shutdown."""
        await super().initialize()
        if self._kept_thresholds is None:
            current = gc.get_threshold()
            self._kept_thresholds = current
            gc.set_threshold(*(max(now, ours)
                               for now, ours in zip(current, GC_THRESHOLDS, strict=True)))

    async def shutdown(self) -> None:
        """Shut the application down and restore the thresholds found at `initialize`."""
        try:
            await super().shutdown()
        finally:
            if self._kept_thresholds is not None:
                gc.set_threshold(*self._kept_thresholds)
                self._kept_thresholds = None
