"""Runs one app's ``expected.py`` cases in the apps' Python environment.

``python expected.py <app dir> <out.etf>``: each case's value normalized the way the
worker sends it (plain data by value, numpy scalars as Python scalars, anything else as
``("ref", type, repr)`` with the worker's own type name and short repr), or
``("raised", message)``; written as ETF so pytest compares like with like.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from snakebridge import etf
from snakebridge.etf import Atom
from snakebridge.runtime.errors import qualified_name
from snakebridge.runtime.values import _short_repr

_PLAIN = (int, float, str, bool, type(None))


def normalize(value: Any) -> Any:
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.generic) and hasattr(value, "item"):
        value = value.item()
    if type(value) in _PLAIN or type(value) is Atom:
        return value
    if type(value) is list:
        return [normalize(v) for v in value]
    if type(value) is tuple:
        return tuple(normalize(v) for v in value)
    if type(value) is dict:
        return {normalize(k): normalize(v) for k, v in value.items()}
    if type(value) is bytes:
        return (Atom("bytes"), value)
    return (Atom("ref"), qualified_name(type(value)), _short_repr(value))


def main() -> None:
    app, out = Path(sys.argv[1]), Path(sys.argv[2])
    spec = importlib.util.spec_from_file_location("expected_cases", app / "expected.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results: dict[str, Any] = {}
    for name, case in module.CASES.items():
        try:
            results[name] = normalize(case())
        except Exception as exc:
            results[name] = (Atom("raised"), f"{type(exc).__name__}: {exc}")
    out.write_bytes(etf.encode(results))


if __name__ == "__main__":
    main()
