"""What an import reports when it cannot take a line, or a whole file.

Every problem names the file and the 1-based physical line, so that `FILE:LINE: message` (cli.md)
can be pasted into an editor's "go to line". Line 0 means the file as a whole (not a text file,
cannot be decoded...).
"""

from __future__ import annotations

from dataclasses import dataclass

# ImportRefused prints this many errors and then a count: a file with a million bad lines must
# still give a readable message, while `errors` keeps them all for the JSON summary.
SHOWN_ERRORS = 50


@dataclass(frozen=True, slots=True)
class LineError:
    """One refused line: where it is, which column (when one is to blame) and what is wrong.

    `message` says what was found and what was expected, e.g.
    "'-5' is negative; expected a whole number >= 0"; it does not repeat the file, line or column.
    """

    file: str
    line: int  # 1-based physical line in the file; 0 for the whole file
    column: str | None  # the column name as written in the file's header
    message: str

    @property
    def detail(self) -> str:
        """The message with its column, without the place: what a JSON summary's "message" holds."""
        if self.column is None:
            return self.message
        return f"column '{self.column}': {self.message}"

    def __str__(self) -> str:
        if self.line <= 0:
            return f"{self.file}: {self.detail}"
        return f"{self.file}:{self.line}: {self.detail}"


class ImportRefused(Exception):
    """The input as a whole is refused (bad header, not a text file, or bad lines not skipped)."""

    def __init__(self, errors: list[LineError]) -> None:
        self.errors = list(errors)
        # args holds the errors (not the text) so that the exception pickles back whole, e.g.
        # across a worker process or thread boundary.
        super().__init__(self.errors)

    def __str__(self) -> str:
        lines = [str(error) for error in self.errors[:SHOWN_ERRORS]]
        hidden = len(self.errors) - SHOWN_ERRORS
        if hidden > 0:
            lines.append(f"... and {hidden} more")
        return "\n".join(lines)
