"""How far a long operator command has got: a line redrawn in place on a terminal, plain lines otherwise.

Written to stderr, so that stdout keeps only the command's results (JSON lines a script can read).
A plain line also carries the checkpoint (what ``--start-after`` takes), so a log of the run says
where to resume; a run stopped by an error or Ctrl-C says it in so many words.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

BAR_WIDTH = 30
# A terminal line is redrawn at most this often; a log gets one line per PLAIN_INTERVAL.
REDRAW_INTERVAL = 0.1
PLAIN_INTERVAL = 10.0


class Progress:
    """Counts units of work done out of a total (known, approximate or unknown)."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        unit: str = "",
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        self.checkpoint: str | None = None
        self._stream = sys.stderr if stream is None else stream
        self._terminal = self._stream.isatty()
        self._clock = clock
        self._interval = (
            interval if interval is not None else (REDRAW_INTERVAL if self._terminal else PLAIN_INTERVAL)
        )
        self._last = clock()

    def advance(self, count: int = 1, *, checkpoint: str | None = None) -> None:
        self.done += count
        if checkpoint is not None:
            self.checkpoint = checkpoint
        now = self._clock()
        if now - self._last >= self._interval:
            self._last = now
            self._show()

    def note(self, text: str) -> None:
        """A line of its own (a warning), not overwritten by the next redraw."""
        self._stream.write(("\r\033[K" if self._terminal else "") + text + "\n")
        self._stream.flush()

    def finish(self) -> None:
        """The final count, and the end of the redrawn line."""
        self._show(final=True)
        if self._terminal:
            self._stream.write("\n")
            self._stream.flush()

    def line(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if not self.total:
            return f"{self.label}: {self.done:,}{unit}"
        # An approximate total (DynamoDB's item count) can be passed: the bar stops short of full.
        share = min(self.done / self.total, 1.0 if self.done == self.total else 0.99)
        if self._terminal:
            filled = int(share * BAR_WIDTH)
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            return f"{self.label}: [{bar}] {self.done:,}/{self.total:,}{unit} {share:.0%}"
        return f"{self.label}: {self.done:,} of {self.total:,}{unit} ({share:.0%})"

    def _show(self, *, final: bool = False) -> None:
        if self._terminal:
            self._stream.write("\r" + self.line() + "\033[K")
        else:
            checkpoint = f"; checkpoint {self.checkpoint}" if self.checkpoint and not final else ""
            self._stream.write(self.line() + checkpoint + "\n")
        self._stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        """Finishes the line; a run stopped by an error or Ctrl-C says where to resume."""
        self.finish()
        if kind is not None and self.checkpoint:
            self.note(f"{self.label} stopped ({kind.__name__}); resume with --start-after {self.checkpoint}")
