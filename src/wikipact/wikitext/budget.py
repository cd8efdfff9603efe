"""A CPU-time budget per page: defence in depth behind a parser that is linear by design.

``with cpu_budget(2.0): ...`` raises ``ParseTimeout`` when the block has used more than that much
CPU time (``ITIMER_PROF``), so one pathological page cannot stall a worker. The timer only arms in
the main thread of a process (where Unix delivers the signal), and some kernels and sandboxes
deliver it late or coarsely; so the block's CPU time is also checked when it ends, and a block that
finished over budget raises too. The outcome for a page therefore does not depend on the signal.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_BUDGET = 2.0  # CPU seconds per page (goal G5)


class ParseTimeout(Exception):
    """The page used up its CPU budget."""


def _expired(signum: int, frame: object) -> None:
    raise ParseTimeout


@contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    if seconds <= 0:
        yield
        return
    started = time.process_time()
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGPROF, _expired)
        signal.setitimer(signal.ITIMER_PROF, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, previous)
    else:
        yield
    if time.process_time() - started > seconds:
        raise ParseTimeout


_MARKUP = re.compile(r"\{\{|\}\}|\[\[|\]\]|<[^>\n]{0,200}>|'{2,}|^[=*#:;|!{].*$|&\w+;", re.M)


def plain_fallback(wikitext: str) -> str:
    """Crude, linear text for a page that ran out of budget: markup removed, words kept."""
    return "\n".join(
        line.strip() for line in _MARKUP.sub(" ", wikitext).split("\n") if line.strip()
    )
