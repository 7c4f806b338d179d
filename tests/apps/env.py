"""The one Python environment the per-library test apps run on.

Built with uv from ``requirements.txt`` under the per-user cache
(``$XDG_CACHE_HOME/snakebridge/test-apps/<key>``, key: a hash of that file and the
interpreter), once per machine and requirements, not per run: building it from uv's
cache takes seconds, from an empty cache a few minutes (torch's CPU wheel comes from
the local wheel folder, which uv is given with ``--find-links``). The build happens in
a temporary directory renamed into place, under a lock, so two test runs at once, or a
run killed halfway, never leave a half-built environment behind. snakebridge itself is
not installed there: its Python source reaches the CLI and the workers through
PYTHONPATH (``SnakeBridge.CLIPort``, the pool), so every checkout tests its own code.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"
# Where pip on this kind of machine finds the torch CPU wheel (`pip config list`).
WHEELS = "/opt/wheels"


def _base_python() -> str:
    # The interpreter the repo's .venv was built on (what bootstrap.sh found).
    out = subprocess.run(
        [sys.executable, "-c", "import sys; print(sys._base_executable)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return os.path.realpath(out.stdout.strip())


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "snakebridge" / "test-apps"


def key(base_python: str) -> str:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes())
    digest.update(base_python.encode())
    return digest.hexdigest()[:16]


def python() -> Path:
    """The environment's interpreter; builds the environment first when needed."""
    base = _base_python()
    root = cache_dir()
    target = root / key(base)
    interpreter = target / "bin" / "python"
    if interpreter.exists():
        return interpreter
    root.mkdir(parents=True, exist_ok=True)
    uv = shutil.which("uv")
    if uv is None:
        raise RuntimeError("uv is not on PATH; run the tests through `make test`")
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if interpreter.exists():  # another run built it while we waited
            return interpreter
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
        try:
            subprocess.run([uv, "venv", "--quiet", "--python", base, str(tmp)], check=True)
            find_links = ["--find-links", WHEELS] if os.path.isdir(WHEELS) else []
            subprocess.run(
                [
                    uv,
                    "pip",
                    "install",
                    "--quiet",
                    "--python",
                    str(tmp / "bin" / "python"),
                    *find_links,
                    "-r",
                    str(REQUIREMENTS),
                ],
                check=True,
            )
            # venv scripts name their own directory: build at the final path's name
            os.rename(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        # older environments of this checkout's past requirements are left for uv's
        # own cache pruning; only the newest two are kept here
        for old in sorted(root.glob("[0-9a-f]" * 16), key=lambda p: p.stat().st_mtime)[:-2]:
            if old != target:
                shutil.rmtree(old, ignore_errors=True)
    return interpreter
