"""Argument parsing for the bookkeeping commands, inside the port.

argparse normally prints and calls ``sys.exit`` on bad input; inside the CLI port that
would kill the reply. This parser raises ``ProjectError`` instead, so the Mix task
prints the message and the usage line and exits 2 like any other bad input.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from snakebridge.project import ProjectError


class Parser(argparse.ArgumentParser):
    def __init__(self, task: str, description: str = "") -> None:
        super().__init__(prog=f"mix snakebridge.{task}", description=description, add_help=False)

    def error(self, message: str) -> NoReturn:
        raise ProjectError(f"{self.prog}: {message}\n{self.format_usage().strip()}")

    def parse_payload(self, payload: Mapping[str, Any]) -> argparse.Namespace:
        argv: Sequence[Any] = payload.get("argv") or []
        return self.parse_args([str(a) for a in argv])


def csv(values: Sequence[str] | None) -> list[str]:
    """``--keep a,b --keep c`` -> ``["a", "b", "c"]``."""
    out: list[str] = []
    for value in values or []:
        out += [v.strip() for v in value.split(",") if v.strip()]
    return out
