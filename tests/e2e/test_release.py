"""A release of the demo runs where neither Mix, nor the project, nor a Python is around.

The release is built from a copy of examples/demo (whose mix.exs adds
``&SnakeBridge.Release.step/1`` to its steps), then moved to another directory and the
project deleted, managed venv and all. It runs with a PATH that has no mix, elixir,
erl, python or uv, and the worker proves from inside (the demo's own local module,
``demo_tools.interpreter()``) that its executable, its prefixes, every module it loaded
and the libpython it mapped lie inside the release: the build machine's interpreter is
not used even where it still exists.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from tests.e2e.mixproject import copy_example, mix

pytestmark = pytest.mark.e2e

_HIDDEN = ("mix", "elixir", "elixirc", "iex", "erl", "erlc", "epmd", "escript", "uv", "pip")


def _bare_path(tmp: Path) -> str:
    """A PATH directory holding every tool on PATH except Mix, Erlang and Python."""
    bare = tmp / "bare-bin"
    bare.mkdir()
    for entry in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(entry):
            continue
        for name in os.listdir(entry):
            if name.startswith(("python", "pip")) or name in _HIDDEN:
                continue
            link, target = bare / name, Path(entry) / name
            if not link.exists() and os.access(target, os.X_OK) and target.is_file():
                link.symlink_to(target)
    return str(bare)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("release")
    build = tmp / "build"
    app = copy_example("demo", build)
    mix(app, "snakebridge.setup")
    built = mix(app, "release", "--overwrite", env={"MIX_ENV": "prod"})
    assert "snakebridge: Python environment in" in built.stdout, built.stdout
    deployed = tmp / "deploy" / "demo"
    deployed.parent.mkdir()
    shutil.move(str(app / "_build" / "prod" / "rel" / "demo"), str(deployed))
    shutil.rmtree(build)
    yield deployed


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    home = tmp / "home"
    home.mkdir()
    return {"PATH": _bare_path(tmp), "HOME": str(home), "LANG": "C.UTF-8", **extra}


def _bin(release: Path, *args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(release / "bin" / "demo"), *args],
        cwd=release.parent,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _assert_demo_output(out: str) -> None:
    assert "mean                   5.0000" in out, out
    assert "solution [x, y]        [2.0, 3.0]" in out
    assert "x**3 + 3*x**2 + 3*x + 1" in out
    assert "-2, 2" in out
    assert '"mean": 5.0' in out
    assert '%{"count" => 8, "max" => 9.0, "min" => 2.0, "range" => 7.0}' in out
    assert "LinAlgError: Singular matrix" in out


def test_moved_release_evals_the_demo_with_its_own_python(release: Path, tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert shutil.which("mix", path=env["PATH"]) is None
    assert shutil.which("python3", path=env["PATH"]) is None

    run = _bin(release, "eval", "Demo.main()", env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    _assert_demo_output(run.stdout)

    # The interpreter is the release's copy; the declaration is the baked one, not Mix's.
    where = _bin(
        release,
        "eval",
        "s = SnakeBridge.Runtime.Settings.load(); {:ok, py} = s.python; "
        'IO.puts(py); IO.puts(Enum.join(Map.keys(s.libraries), ",")); '
        "IO.puts(Code.ensure_loaded?(Mix))",
        env=env,
    )
    assert where.returncode == 0, where.stderr
    python, libraries, mix_loaded = where.stdout.split()
    assert Path(python).parent == release / "snakebridge" / "python" / "bin"
    assert libraries == "demo_tools,json,numpy,sympy"
    assert mix_loaded == "false"

    inside = _bin(
        release,
        "eval",
        'i = Demo.python_info(); for k <- ["executable", "prefix", "base_prefix"], '
        'do: IO.puts(k <> " " <> i[k]); for m <- i["modules"], do: IO.puts("module " <> m); '
        'for l <- i["libraries"], do: IO.puts("library " <> l)',
        env=env,
    )
    assert inside.returncode == 0, inside.stdout + inside.stderr
    report = [line.split(" ", 1) for line in inside.stdout.splitlines() if " /" in line]
    home = release / "snakebridge" / "python"
    facts = dict(r for r in report if r[0] in ("executable", "prefix", "base_prefix"))
    assert Path(facts["executable"]).parent == home / "bin", facts
    assert Path(facts["prefix"]) == home and Path(facts["base_prefix"]) == home, facts
    modules = [path for kind, path in report if kind == "module"]
    assert any("/numpy/" in m for m in modules) and any("demo_tools" in m for m in modules)
    assert [m for m in modules if not Path(m).is_relative_to(release)] == []
    libpython = [path for kind, path in report if kind == "library" and "libpython" in path]
    assert [lib for lib in libpython if not Path(lib).is_relative_to(home)] == []


def test_moved_release_answers_docs_from_the_index_it_carries(
    release: Path, tmp_path: Path
) -> None:
    assert (release / "snakebridge" / ".snakebridge" / "docs" / "numpy.tsv").is_file()
    found = _bin(
        release,
        "eval",
        'opts = [source: :metadata, libraries: ["numpy"]]; '
        '{:ok, [top | _]} = SnakeBridge.Docs.search("inverse matrix", opts); '
        'IO.puts(top.python <> " " <> top.elixir); '
        "{:ok, doc} = SnakeBridge.doc(Numpy.Linalg, :pinv); IO.puts(doc.elixir)",
        env=_env(tmp_path),
    )
    assert found.returncode == 0, found.stdout + found.stderr
    assert found.stdout.splitlines()[-2:] == [
        "numpy.linalg.inv Numpy.Linalg.inv(a)",
        "Numpy.Linalg.pinv(a, opts)",
    ]


def test_moved_release_starts_and_serves_calls(release: Path, tmp_path: Path) -> None:
    # Its own epmd on a free port and a unique node name: other runs on this machine
    # must neither collide with this node nor be left with an epmd it started.
    port = str(_free_port())
    node = f"sbrel{uuid.uuid4().hex[:8]}"
    env = _env(tmp_path, ERL_EPMD_PORT=port, RELEASE_NODE=node)
    epmd = subprocess.Popen([shutil.which("epmd") or "epmd", "-port", port])
    try:
        started = subprocess.Popen(
            [str(release / "bin" / "demo"), "start"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while _bin(release, "rpc", "IO.puts(:up)", env=env).stdout.strip() != "up":
                assert started.poll() is None, started.communicate()[0]
                assert time.monotonic() < deadline, "the release did not come up in 60 s"
                time.sleep(0.5)

            run = _bin(release, "rpc", "Demo.main()", env=env)
            assert run.returncode == 0, run.stdout + run.stderr
            _assert_demo_output(run.stdout)

            stop = _bin(release, "stop", env=env)
            assert stop.returncode == 0, stop.stderr
            assert started.wait(timeout=60) == 0
        finally:
            if started.poll() is None:
                started.kill()
                started.wait()
    finally:
        epmd.kill()
        epmd.wait()
