"""Session-scoped store of the Python objects Elixir holds refs to.

A ref id is 128 random bits (``secrets``), so a ref cannot be guessed or forged
from another session. Objects live until their ref is released, their session is
released (``with_session`` returns, or the owning Elixir process exits), or the
worker stops.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any


class RefError(Exception):
    """A ref cannot be used by this call; ``kind`` is the error type Elixir sees."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(slots=True)
class Entry:
    session: str
    obj: Any


class RefStore:
    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        self._sessions: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def session_count(self) -> int:
        return len(self._sessions)

    def put(self, session: str, obj: Any) -> str:
        ref_id = secrets.token_urlsafe(16)
        self._entries[ref_id] = Entry(session, obj)
        ids = self._sessions.get(session)
        if ids is None:
            self._sessions[session] = {ref_id}
        else:
            ids.add(ref_id)
        return ref_id

    def lookup(self, ref_id: str) -> Entry | None:
        return self._entries.get(ref_id)

    def release(self, ref_id: str) -> bool:
        entry = self._entries.pop(ref_id, None)
        if entry is None:
            return False
        ids = self._sessions.get(entry.session)
        if ids is not None:
            ids.discard(ref_id)
            if not ids:
                del self._sessions[entry.session]
        return True

    def release_session(self, session: str) -> int:
        ids = self._sessions.pop(session, set())
        for ref_id in ids:
            self._entries.pop(ref_id, None)
        return len(ids)
