"""Where unexpected errors are written: a log file in the user's data folder."""

from __future__ import annotations

import logging
from pathlib import Path

import platformdirs


def log_path() -> Path:
    folder = Path(platformdirs.user_data_dir("Meterbook", appauthor=False)) / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "meterbook.log"


def log_unexpected(exc: BaseException, where: str = "meterbook") -> Path:
    """Append the exception with its traceback to the log; returns the file's path."""
    path = log_path()
    handler = logging.FileHandler(path, encoding="utf-8")
    logger = logging.getLogger(where)
    logger.addHandler(handler)
    try:
        logger.error("unexpected error", exc_info=exc)
    finally:
        handler.close()
        logger.removeHandler(handler)
    return path
