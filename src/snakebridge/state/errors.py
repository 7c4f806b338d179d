"""The one error type the state layer raises for a bad file on disk."""

from __future__ import annotations

from snakebridge.project import ProjectError


class StateError(ProjectError):
    """A state file (manifest, lock, ledger, backup) is unreadable; the message says the fix.

    It subclasses ``ProjectError`` so every command reports it the same way: the message on
    stderr, exit code 2, nothing overwritten. ``detail`` is the bare problem (what is
    wrong with the file), for callers that word their own message around it.
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail or message
