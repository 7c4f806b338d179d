"""The interpreter a release carries: copied from a venv's base interpreter, moved, and run
with nothing of the build environment, it finds everything inside itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from snakebridge.commands import release

SRC = Path(__file__).resolve().parents[2] / "src"
# The located interpreters of this machine: the one running the tests (pyenv's here, a
# libpython-linked build) and Debian's python3.11 (libpython built in, dist-packages).
BASES = sorted(
    {
        os.path.realpath(p)
        for p in (getattr(sys, "_base_executable", sys.executable), "/usr/bin/python3.11")
        if os.path.exists(p)
    }
)

# What the shipped interpreter reports about itself: where it runs from, its prefixes,
# where a library and a stdlib module were imported from, and the libpython it mapped.
REPORT = """
import json, sys, hello_lib, json as stdlib_json
maps = open("/proc/self/maps").read().split()
print(json.dumps({
    "executable": sys.executable,
    "prefix": sys.prefix,
    "base_prefix": sys.base_prefix,
    "hello": hello_lib.__file__,
    "json": stdlib_json.__file__,
    "pth": sys.path,
    "libpython": sorted({p for p in maps if "libpython" in p}),
}))
"""


def _venv(tmp: Path, base: str) -> Path:
    """A real venv on ``base``, with one library and a .pth."""
    venv = tmp / "build" / "venv"
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    (site / "hello_lib.py").write_text("GREETING = 'hello'\n")
    (site / "extra").mkdir()
    (site / "extra.pth").write_text(f"{site}/extra\nimport os\n")
    return venv


def _ship(venv: Path, dest: Path) -> str:
    """Runs the release step's interpreter copy inside ``venv``, as `mix release` does."""
    code = (
        "import sys; from pathlib import Path; from snakebridge.commands import release\n"
        "class Out:\n    def log(self, *a): pass\n    def out(self, *a): pass\n"
        "print(release._ship_interpreter(Path(sys.prefix), Path(sys.argv[1]), Out()))\n"
    )
    env = {**release._clean_env(), "PYTHONPATH": str(SRC)}
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code, str(dest)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.parametrize("base", BASES)
def test_shipped_interpreter_runs_from_its_new_place_with_nothing_of_the_build(
    tmp_path: Path, base: str
) -> None:
    venv = _venv(tmp_path, base)
    dest = tmp_path / "rel" / "snakebridge"
    dest.mkdir(parents=True)
    command = _ship(venv, dest)
    shutil.rmtree(tmp_path / "build")
    moved = tmp_path / "elsewhere" / "snakebridge"
    moved.parent.mkdir()
    shutil.move(str(dest), str(moved))

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run(
        [str(moved / command), "-c", REPORT], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    home = moved / "python"
    for key in ("executable", "prefix", "base_prefix", "hello", "json"):
        assert Path(report[key]).is_relative_to(home), (key, report[key])
    assert str(home / "bin") in report["executable"]
    assert any(p.endswith("/extra") and Path(p).is_relative_to(home) for p in report["pth"])
    # A libpython-linked build (pyenv's) maps the release's copy, not the build's.
    assert all(Path(p).is_relative_to(home) for p in report["libpython"]), report["libpython"]
    assert bool(report["libpython"]) == (command == "python/bin/python"), command
    assert not (
        home / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "test"
    ).exists()


def test_pth_entries_into_the_venv_become_relative(tmp_path: Path) -> None:
    old_site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    (old_site / "extra").mkdir(parents=True)
    site = tmp_path / "release" / "site"
    site.mkdir(parents=True)
    (site / "extra.pth").write_text(f"{old_site}/extra\n{old_site}\nimport os\nrelative/dir\n")

    release._fix_pth(site, old_site)

    assert (site / "extra.pth").read_text().splitlines() == [
        "extra",
        ".",
        "import os",
        "relative/dir",
    ]


def test_pth_entries_outside_the_venv_fail_the_release(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "__editable__.mylib.pth").write_text("/home/dev/mylib/src\n")

    with pytest.raises(release.ReleaseError, match=r"(?s)editable install\?.*mylib/src"):
        release._fix_pth(site, tmp_path / "venv")


def test_clean_env_keeps_nothing_of_the_build_python() -> None:
    os.environ["PYTHONHOME_TEST_MARK"] = "1"
    try:
        cleaned = release._clean_env()
    finally:
        del os.environ["PYTHONHOME_TEST_MARK"]
    assert not any(k.startswith(("PYTHON", "VIRTUAL_ENV", "UV_")) for k in cleaned)


def test_uv_python_dir_follows_uv(tmp_path: Path) -> None:
    assert release.uv_python_dir({"UV_PYTHON_INSTALL_DIR": "/opt/py"}) == Path("/opt/py")
    assert release.uv_python_dir({"XDG_DATA_HOME": "/data"}) == Path("/data/uv/python")
    assert release.uv_python_dir({}) == Path.home() / ".local/share/uv/python"
