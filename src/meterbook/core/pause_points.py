"""Named moments of a long job at which a test of faults can stop the process
(tests/test_faults.py), so that a kill -9 lands exactly there rather than wherever a timer
happens to fall.

With METERBOOK_PAUSE_AT=NAME in the environment, the process that reaches pause point NAME
writes "PID NAME" to the file named by $METERBOOK_PAUSE_FILE and sleeps until it is killed.
Without that variable a pause point costs one lookup in the environment.
"""

from __future__ import annotations

import os
import time

PAUSE_AT = "METERBOOK_PAUSE_AT"
PAUSE_FILE = "METERBOOK_PAUSE_FILE"


def pause_point(name: str) -> None:
    if os.environ.get(PAUSE_AT) != name:
        return
    target = os.environ[PAUSE_FILE]
    partial = f"{target}.{os.getpid()}"
    with open(partial, "w", encoding="utf-8") as note:  # whole, or not there: renamed
        note.write(f"{os.getpid()} {name}\n")
    os.replace(partial, target)
    while True:
        time.sleep(3600)
