"""What every report file shares: text from imported files made safe for spreadsheets, and
writing a file whole or not at all."""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from pathlib import Path

from meterbook.core.pause_points import pause_point
from meterbook.errors import Refused

# OWASP "CSV injection": a cell whose text starts with one of these may run as a formula in
# Excel, LibreOffice or Google Sheets.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Text for a CSV or XLSX cell that no spreadsheet reads as a formula: OWASP's advice,
    a leading apostrophe, which spreadsheets show as text and people read past."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it there: a reader never
    sees half a file, and a failed write leaves none. Refused, naming the path and the reason,
    when it cannot be written."""
    target = Path(path)
    tmp = None
    try:
        if target.is_dir():
            raise IsADirectoryError(21, "it is a folder")
        folder = target.parent if str(target.parent) else Path(".")
        _remove_abandoned(folder, target.name)
        # The writer's process id in the name: a later write can tell an abandoned file.
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".part",
                                   dir=folder)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the report from its reader
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        pause_point("report:file-written")
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise Refused(f"{path}: cannot write the report ({reason}); nothing was written") \
            from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _remove_abandoned(folder: Path, name: str) -> None:
    """Delete the temporary files of earlier writes to `name` whose process is gone: one
    killed outright (SIGKILL, a power cut) between writing and renaming had no chance to.
    A file whose writer still runs is another write under way, and is left alone."""
    if os.name != "posix":  # os.kill(pid, 0) tests a process only on POSIX
        return
    for part in folder.glob(f".{glob.escape(name)}.*.part"):
        pid = part.name[len(name) + 2:].split(".", 1)[0]
        if pid.isdigit() and int(pid) > 0 and not _running(int(pid)):
            with contextlib.suppress(OSError):
                part.unlink()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process (EPERM): it runs
        return True
    return True
