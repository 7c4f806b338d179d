"""The one error type of the bulk package.

``kind`` is the wire error type the worker reports (``error_map["type"]``), so the
Elixir side maps it with the rules it already has: ``"encode_error"`` for a value that
has no binary or Arrow form (or a malformed tensor argument), ``"ref_lost"`` for a
handle that is released, foreign to this worker or host, or whose owner is gone.
It is a ``RefError``: the worker answers every ``RefError`` with its ``kind``.
"""

from __future__ import annotations

from typing import Literal

from snakebridge.runtime.store import RefError

Kind = Literal["encode_error", "ref_lost"]


class BulkError(RefError):
    def __init__(self, kind: Kind, message: str) -> None:
        super().__init__(kind, message)
        self.kind: Kind = kind
