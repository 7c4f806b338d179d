"""Shared-memory tests each use their own segment prefix, and leave nothing behind."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator

import pytest

from snakebridge.runtime.bulk import shm


@pytest.fixture
def prefix() -> Iterator[str]:
    name = f"sbtest_{secrets.token_hex(4)}"
    yield name
    for segment in shm.segments(name):  # a failing test must not leave memory behind
        path = shm.SHM_DIR / segment
        if path.is_dir():
            shutil.rmtree(path)  # a BEAM's private directory, as a test made it
        else:
            os.unlink(path)
