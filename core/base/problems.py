"""The one Problem value (file, line, field, message, severity) every part of the engine reports."""
from __future__ import annotations

from dataclasses import dataclass

MAX_FIELD_CHARS = 200
MAX_MESSAGE_CHARS = 500
SEVERITIES = ("error", "warning")


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem with the user's input or plan: where it is (file, line, field), what is wrong, how bad.

    Every loader, validator, projection and the self-host engine returns these; the CLI prints
    str(problem) and the GUI lists them, so a message reads the same everywhere.
    """

    file: str
    line: int | None
    field: str
    message: str
    severity: str = "error"  # "error": the value was refused; "warning": used, but worth a look

    def __post_init__(self) -> None:
        # A hostile file can put megabytes into a key or value; messages quote them, so they are
        # capped here, where every loader's errors pass, and a dialog never chokes on one.
        for name, limit in (("field", MAX_FIELD_CHARS), ("message", MAX_MESSAGE_CHARS)):
            text = getattr(self, name)
            if isinstance(text, str) and len(text) > limit:
                object.__setattr__(self, name, text[:limit - 1] + "…")

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" [{self.field}]" if self.field else ""
        head = f"{where}{field}".strip()
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{prefix}{head}: {self.message}" if head else f"{prefix}{self.message}"
