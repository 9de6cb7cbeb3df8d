"""Errors for bad input: one line that says what is wrong and what to do."""

from __future__ import annotations


class IngestError(Exception):
    """A file or page that cannot be used. Expected: never retried.

    ``str(err)`` is the single line shown to the clerk: what happened, then what to do.
    """

    def __init__(self, what: str, todo: str) -> None:
        super().__init__(f"{what}: {todo}")
        self.what = what
        self.todo = todo
