"""What every report file shares: text from imported files made safe for spreadsheets, and
writing a file whole or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

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
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                   dir=target.parent if str(target.parent) else ".")
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the report from its reader
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
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
