"""Rules for work done in a forked process (the import's reader, the compare's second half).

Forking is safe only where fork is the way processes start (Linux) and no other thread runs: a
thread holding a lock at the fork (SQLite's, the logger's, Qt's) leaves it held for ever in the
child. The desktop app runs readers and a writer on threads, so its work never forks.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def fork_is_safe() -> bool:
    return sys.platform == "linux" and threading.active_count() == 1


def die_with(parent: int) -> None:
    """End this forked process when its parent ends, however it ends. A kill -9 gives the
    parent no chance to stop it, and a child that is reading, not writing into its pipe, would
    not notice the pipe's end: Linux kills it when its parent dies (prctl PR_SET_PDEATHSIG;
    only forked where there is one thread, so the parent thread is the process). A parent that
    died before that call is seen by its process id."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
