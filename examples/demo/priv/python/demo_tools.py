"""The demo's own Python: a module of the app in priv/python, bound like a library
(`demo_tools: :local` beside `python_path: ["priv/python"]` in mix.exs)."""

import sys
from pathlib import Path

__all__ = ["interpreter", "summary"]


def summary(xs: list[float]) -> dict[str, float]:
    """Count, smallest and largest value and range of a list of numbers, in plain Python."""
    return {"count": len(xs), "min": min(xs), "max": max(xs), "range": max(xs) - min(xs)}


def interpreter() -> dict[str, object]:
    """Where this Python runs: its executable and prefixes, the file of every loaded
    module, and the shared libraries mapped into the process (Linux)."""
    maps = Path("/proc/self/maps")
    mapped = maps.read_text().split() if maps.exists() else []
    return {
        "executable": sys.executable,
        "prefix": sys.prefix,
        "base_prefix": sys.base_prefix,
        "modules": sorted(
            {m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)}
        ),
        "libraries": sorted({p for p in mapped if p.startswith("/") and ".so" in p}),
    }
