"""Every bookkeeping Mix task end to end, on a real temp Mix project.

One project is built once per module (``mix compile`` generates numpy and json bindings
through the real pre-pass, CLI port and generator); each test works on its own copy.
``SNAKEBRIDGE_PYTHON`` points at the dev venv so no test builds a venv (the setup task
has its own test in tests/commands/test_cmd_setup.py and the demo test).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from tests.e2e.mixproject import DEV_ENV, DEV_PYTHON, app_mix_exs, mix, write

pytestmark = pytest.mark.e2e

ENV = DEV_ENV
NUMPY_EX = "lib/snakebridge_generated/numpy.ex"
JSON_EX = "lib/snakebridge_generated/json.ex"
MANIFEST = ".snakebridge/manifest.json"

MIX_EXS = app_mix_exs(
    'libraries: [numpy: "~> 2.0", json: :stdlib]',
    "\n  def application, do: [extra_applications: [:logger]]\n",
)

APP_EX = """
defmodule App do
  def stats(xs), do: {Numpy.mean!(xs), Json.dumps!(xs)}

  # What the scanner cannot see: it goes through the dynamic API and the ledger.
  def dynamic(xs), do: SnakeBridge.call!("numpy", "median", [xs])
  # A function read as a value, and a module: no generated binding replaces either.
  def values, do: {SnakeBridge.get("numpy", "sin"), SnakeBridge.get("numpy", "linalg")}
end
"""

EXTRA_EX = """
defmodule App.Extra do
  def spread(xs), do: Numpy.std(xs)
end
"""

APP_TEST = """
defmodule AppTest do
  use ExUnit.Case
  test "spread", do: assert({:ok, _} = Numpy.std([1.0, 2.0]))
end
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("built") / "app"
    write(root, "mix.exs", MIX_EXS)
    write(root, "lib/app.ex", APP_EX)
    write(root, "lib/extra.ex", EXTRA_EX)
    write(root, "test/test_helper.exs", "ExUnit.start()\n")
    write(root, "test/app_test.exs", APP_TEST)
    mix(root, "compile", env=ENV)
    assert (root / NUMPY_EX).exists() and (root / JSON_EX).exists()
    return root


@pytest.fixture
def app(built: Path, tmp_path: Path) -> Path:
    target = tmp_path / "app"
    shutil.copytree(built, target, symlinks=True)
    return target


def state(root: Path) -> dict[str, bytes]:
    files = [
        root / MANIFEST,
        root / "snakebridge.lock",
        *sorted((root / "lib/snakebridge_generated").glob("*.ex")),
    ]
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files if p.exists()}


def manifest_keys(root: Path) -> list[str]:
    data = json.loads((root / MANIFEST).read_text())
    return sorted(k for k in data["symbols"] if k != "~")


def run_mix(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return mix(root, *args, env={**ENV, **(env or {})}, check=False)


# ----------------------------------------------------------------------- verify / repair


def test_verify_and_repair(app: Path) -> None:
    pristine = state(app)
    ok = run_mix(app, "snakebridge.verify")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "snakebridge verify: ok" in ok.stdout

    path = app / NUMPY_EX
    path.write_text(path.read_text().replace('function: "mean",', 'function:  "mean",', 1))
    (app / JSON_EX).unlink()
    bad = run_mix(app, "snakebridge.verify")
    assert bad.returncode == 1
    assert "Numpy.mean in lib/snakebridge_generated/numpy.ex differs" in bad.stdout
    assert "lib/snakebridge_generated/json.ex is missing" in bad.stdout
    assert "fix: mix snakebridge.repair" in bad.stdout

    fixed = run_mix(app, "snakebridge.repair")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "repaired: verify passes now" in fixed.stdout
    assert state(app) == pristine
    assert run_mix(app, "snakebridge.verify").returncode == 0


# ------------------------------------------------------------------- compile failures


def test_a_failed_generation_fails_every_compile_until_fixed(app: Path) -> None:
    write(app, "lib/bad.ex", "defmodule App.Bad do\n  def f, do: Numpy.no_such_fn([1])\nend\n")
    for _ in range(3):
        out = run_mix(app, "compile")
        assert out.returncode == 1, out.stdout + out.stderr
        assert "numpy has no public member named no_such_fn" in out.stdout + out.stderr
        assert "lib/bad.ex:2" in out.stdout + out.stderr
    write(app, "lib/bad.ex", "defmodule App.Bad do\n  def f, do: Numpy.mean!([1])\nend\n")
    fixed = run_mix(app, "compile")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


@pytest.mark.parametrize("strict", [False, True])
def test_a_truncated_manifest_fails_every_compile(app: Path, strict: bool) -> None:
    path = app / MANIFEST
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 3])
    env = {"SNAKEBRIDGE_STRICT": "1"} if strict else {}
    for _ in range(2):
        out = run_mix(app, "compile", env=env)
        text = out.stdout + out.stderr
        assert out.returncode == 1, text
        assert ".snakebridge/manifest.json is damaged" in text
        assert "mix snakebridge.repair" in text
    path.write_bytes(good)
    assert run_mix(app, "compile", env=env).returncode == 0


def test_repair_with_the_manifest_deleted_rebuilds_it_and_keeps_every_binding(app: Path) -> None:
    pristine = state(app)
    (app / MANIFEST).unlink()
    verify = run_mix(app, "snakebridge.verify")
    assert verify.returncode == 1 and "manifest.json is missing" in verify.stdout
    fixed = run_mix(app, "snakebridge.repair")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "repaired: verify passes now" in fixed.stdout
    assert state(app) == pristine


# --------------------------------------------------------------- analyze / prune / restore


def test_analyze_prune_restore(app: Path) -> None:
    (app / "lib/extra.ex").unlink()  # Numpy.std is now only called from test/
    before = state(app)

    analyze = run_mix(app, "snakebridge.analyze")
    assert analyze.returncode == 0, analyze.stderr
    assert "numpy: 2 generated, 1 used, 1 unused" in analyze.stdout
    assert "unused  Numpy.std/1,2,3,4,5,6,7  (numpy.std)  used in test/: test/app_test.exs:4" in (
        analyze.stdout
    )
    as_json = run_mix(app, "snakebridge.analyze", "--format", "json")
    data = json.loads(as_json.stdout[as_json.stdout.index("{") :])
    assert [e["elixir"] for e in data["libraries"]["numpy"]["unused"]] == ["Numpy.std"]

    dry = run_mix(app, "snakebridge.prune", "--dry-run")
    assert dry.returncode == 0 and "would prune Numpy.std/1,2,3,4,5,6,7" in dry.stdout
    assert state(app) == before

    pruned = run_mix(app, "snakebridge.prune")
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    out = pruned.stdout + pruned.stderr
    assert "Numpy.std is still called from test/ (test/app_test.exs:4)" in out
    assert manifest_keys(app) == ["Json.dumps", "Numpy.mean"]
    assert "def std(" not in (app / NUMPY_EX).read_text()
    assert run_mix(app, "snakebridge.verify").returncode == 0
    compiled = run_mix(app, "compile", env={"SNAKEBRIDGE_STRICT": "1"})
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr

    restored = run_mix(app, "snakebridge.restore")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert state(app) == before
    again = run_mix(app, "snakebridge.restore")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing to restore" in again.stdout
    assert state(app) == before
    listing = run_mix(app, "snakebridge.restore", "--list")
    assert "prune: Numpy.std" in listing.stdout


# ------------------------------------------------------------ ledger / promote / strict


def test_dynamic_call_recorded_listed_promoted_then_strict_compile_passes(app: Path) -> None:
    ledger = app / ".snakebridge/ledger.json"
    ran = run_mix(app, "run", "-e", "IO.inspect({App.dynamic([1.0, 5.0, 3.0]), App.values()})")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "3.0" in ran.stdout
    # The worker flushes its records when it exits, just after the VM does.
    deadline = time.monotonic() + 60
    while not ledger.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ledger.exists(), "the dev run did not record the dynamic call"

    listed = run_mix(app, "snakebridge.ledger")
    assert listed.returncode == 0
    assert "Numpy.median/1  x1  (numpy: numpy.median/1)" in listed.stdout

    # CI compiles in strict mode; a static call to the not-yet-promoted function fails it.
    write(
        app, "lib/stats.ex", "defmodule App.Stats do\n  def middle(xs), do: Numpy.median(xs)\nend\n"
    )
    strict = run_mix(app, "compile", env={"SNAKEBRIDGE_STRICT": "1"})
    assert strict.returncode != 0
    assert "Numpy.median/1 has no committed binding" in strict.stdout + strict.stderr

    promoted = run_mix(app, "snakebridge.promote", "--all")
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    assert "generated Numpy.median/1" in promoted.stdout
    assert "not promoted Numpy.sin/0: numpy.sin is a ufunc" in promoted.stdout
    assert "not promoted Numpy.linalg/0: numpy.linalg is a module" in promoted.stdout
    assert "Numpy.median" in manifest_keys(app) and "Numpy.sin" not in manifest_keys(app)
    assert "defmodule Numpy.Linalg" not in (app / NUMPY_EX).read_text()
    listed = run_mix(app, "snakebridge.ledger")
    assert "0 dynamic call(s) without a binding" not in listed.stdout
    assert "numpy.sin/0  x1  cannot be promoted" in listed.stdout
    assert "Numpy.median" not in listed.stdout
    (app / "lib/stats.ex").unlink()  # only the dynamic call is left
    analyze = run_mix(app, "snakebridge.analyze")
    assert "dynamic Numpy.median/1,2,3,4,5,6  (numpy.median; promoted from numpy.median/1)" in (
        analyze.stdout
    )
    assert "unused  Numpy.median" not in analyze.stdout

    strict = run_mix(app, "compile", env={"SNAKEBRIDGE_STRICT": "1"})
    assert strict.returncode == 0, strict.stdout + strict.stderr


def test_promote_requires_a_choice(app: Path) -> None:
    proc = run_mix(app, "snakebridge.promote")
    assert proc.returncode == 2
    assert "--all" in proc.stdout + proc.stderr


# ------------------------------------------------------------------------ lock / doctor


def _edit_lock(root: Path, section: str, key: str, value: str) -> None:
    path = root / "snakebridge.lock"
    data = json.loads(path.read_text())
    target = data["environment"] if section == "environment" else data["libraries"][section]
    target[key] = value
    path.write_text(json.dumps(data, indent=2))


def test_lock_check_and_rebuild(app: Path) -> None:
    assert run_mix(app, "snakebridge.lock", "--check").returncode == 0
    _edit_lock(app, "environment", "python_version", "3.10.0")
    stale = run_mix(app, "snakebridge.lock", "--check")
    assert stale.returncode == 1
    assert "Python version changed (3.10.0 ->" in stale.stdout
    rebuilt = run_mix(app, "snakebridge.lock", "--rebuild")
    assert rebuilt.returncode == 0
    assert "rewritten from the current environment" in rebuilt.stdout
    assert run_mix(app, "snakebridge.lock", "--check").returncode == 0

    good = (app / "snakebridge.lock").read_bytes()
    (app / "snakebridge.lock").write_text('{"snakebridge_lock": 1, "environ')
    broken = run_mix(app, "snakebridge.lock", "--check")
    assert broken.returncode == 2 and "mix snakebridge.lock --rebuild" in broken.stderr
    rebuilt = run_mix(app, "snakebridge.lock", "--rebuild")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert (app / "snakebridge.lock").read_bytes() == good


def test_doctor(app: Path) -> None:
    ready = run_mix(app, "snakebridge.doctor")
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert "[ ok ] numpy ~> 2.0: " in ready.stdout
    assert "[ ok ] generated code matches the manifest (3 symbol(s) in 2 file(s))" in (ready.stdout)
    # The crash barrier: each library's circuit limits, and what a dev run recorded.
    assert "Crash barrier:" in ready.stdout
    assert "numpy: circuit opens after 3 crashes in 60000 ms" in ready.stdout
    assert "no crashes recorded (.snakebridge/crashes.etf)" in ready.stdout

    (app / NUMPY_EX).unlink()
    broken = run_mix(app, "snakebridge.doctor")
    assert broken.returncode == 1
    assert "[fail] lib/snakebridge_generated/numpy.ex is missing" in broken.stdout
    assert "not ready" in broken.stdout

    no_python = run_mix(
        app, "snakebridge.doctor", env={"SNAKEBRIDGE_PYTHON": str(app / "missing/bin/python")}
    )
    assert no_python.returncode == 1
    assert "fix: mix snakebridge.setup" in no_python.stdout + no_python.stderr


# ------------------------------------------------------ invalidation through mix compile


def test_library_version_change_regenerates_only_that_library(app: Path) -> None:
    _edit_lock(app, "numpy", "resolved", "2.0.0")
    out = run_mix(app, "compile", env={"SNAKEBRIDGE_VERBOSE": "1"})
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout + out.stderr
    assert "numpy changed 2.0.0 -> " in text
    assert "numpy: regenerating" in text and "json: regenerating" not in text
    assert run_mix(app, "snakebridge.lock", "--check").returncode == 0


def test_python_version_change_regenerates_everything(app: Path) -> None:
    _edit_lock(app, "environment", "python_version", "3.10.0")
    out = run_mix(app, "compile", env={"SNAKEBRIDGE_VERBOSE": "1"})
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout + out.stderr
    assert "Python version changed (3.10.0 ->" in text
    assert "numpy: regenerating" in text and "json: regenerating" in text


# ------------------------------------------------------------ concurrency and killing


def _generate_cli(root: Path, detections: list[dict[str, object]]) -> subprocess.Popen[bytes]:
    """The generate command as the Mix compiler runs it, through the CLI, in the background."""
    context = {
        "root": str(root),
        "generated_dir": "lib/snakebridge_generated",
        "python": str(DEV_PYTHON),
        "snakebridge_version": "0.1.0",
        "libraries": [
            {
                "name": "numpy",
                "version": "~> 2.0",
                "module_name": "Numpy",
                "python_module": "numpy",
            },
            {"name": "json", "stdlib": True, "module_name": "Json", "python_module": "json"},
        ],
        "detections": detections,
    }
    ctx = root / f"ctx-{len(list(root.glob('ctx-*')))}.json"
    ctx.write_text(json.dumps(context))
    return subprocess.Popen(
        [str(DEV_PYTHON), "-m", "snakebridge", "--context", str(ctx), "generate"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _det(module: str, function: str, arity: int) -> dict[str, object]:
    return {"module": module, "function": function, "arity": arity, "file": "lib/x.ex", "line": 1}


BASE = [_det("Numpy", "mean", 1), _det("Numpy", "std", 1), _det("Json", "dumps", 1)]


def test_two_generate_runs_and_two_mix_compiles_at_once_leave_consistent_files(app: Path) -> None:
    for a, b in [("median", "var"), ("amax", "amin"), ("cumsum", "cumprod")]:
        first = _generate_cli(app, [*BASE, _det("Numpy", a, 1)])
        second = _generate_cli(app, [*BASE, _det("Numpy", b, 1)])
        assert first.wait() == 0, first.stderr.read() if first.stderr else ""
        assert second.wait() == 0, second.stderr.read() if second.stderr else ""
        keys = manifest_keys(app)
        assert f"Numpy.{a}" in keys and f"Numpy.{b}" in keys, keys
        source = (app / NUMPY_EX).read_text()
        assert f"def {a}(" in source and f"def {b}(" in source
        verify = run_mix(app, "snakebridge.verify")
        assert verify.returncode == 0, verify.stdout
    assert not list(app.rglob("*.sbtmp"))
    # Two `mix compile` runs at once, each needing the same new bindings: both succeed,
    # the pre-pass of one waits for the other's lock, and the files agree.
    envs = {**os.environ, "MIX_ENV": "dev", **ENV}
    for names in (("ptp", "nanmean"), ("cumsum", "nanmax")):
        body = ", ".join(f"Numpy.{n}(xs)" for n in names)
        write(
            app,
            f"lib/more_{names[0]}.ex",
            f"defmodule App.More{names[0].title()} do\n  def f(xs), do: {{{body}}}\nend\n",
        )
        procs = [
            subprocess.Popen(
                ["mix", "compile"],
                cwd=app,
                env=envs,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=600)[0] for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outputs
        assert {f"Numpy.{n}" for n in names} <= set(manifest_keys(app))
        verify = run_mix(app, "snakebridge.verify")
        assert verify.returncode == 0, verify.stdout


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def test_generate_killed_mid_way_leaves_previous_state(app: Path) -> None:
    before = state(app)
    wanted = [
        *BASE,
        _det("Numpy", "median", 1),
        _det("Numpy.Linalg", "det", 1),
        _det("Numpy.Fft", "fft", 1),
    ]
    proc = _generate_cli(app, wanted)
    # Kill it while it introspects: its child process exists, nothing is committed yet.
    deadline = time.monotonic() + 120
    while not _children(proc.pid) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "generate finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert state(app) == before
    verify = run_mix(app, "snakebridge.verify")
    assert verify.returncode == 0, verify.stdout

    # Kill at spread-out moments: every outcome is either the old state or the complete
    # new one, never a mix (verify passes after each), and the next run completes.
    complete = {"Numpy.median", "Numpy.Linalg.det", "Numpy.Fft.fft", "Numpy.var"}
    for delay in (0.2, 0.5, 0.8, 1.1, 1.4):
        previous = manifest_keys(app)
        victim = _generate_cli(app, [*wanted, _det("Numpy", "var", 1)])
        time.sleep(delay)
        if victim.poll() is None:
            os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
        check = run_mix(app, "snakebridge.verify")
        assert check.returncode == 0, (delay, check.stdout)
        keys = manifest_keys(app)
        assert keys == previous or complete <= set(keys), (delay, keys)
    final = _generate_cli(app, [*wanted, _det("Numpy", "var", 1)])
    assert final.wait() == 0
    assert complete <= set(manifest_keys(app))
    assert not list(app.rglob("*.sbtmp"))


def _processes_in(root: Path) -> dict[int, str]:
    """Every process working in ``root`` (the BEAM, the CLI, its children), by pid."""
    found = {}
    target = str(root.resolve())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.path.realpath(entry / "cwd") == target:
                found[int(entry.name)] = (
                    (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                )
        except OSError:
            continue
    return found


def test_mix_killed_mid_generation_takes_the_python_cli_with_it(app: Path) -> None:
    before = state(app)
    write(
        app,
        "lib/more.ex",
        "defmodule App.More do\n"
        "  def f(x), do: {Numpy.Linalg.det(x), Numpy.Fft.fft(x), Numpy.median(x)}\nend\n",
    )
    compile_ = subprocess.Popen(
        ["mix", "compile"],
        cwd=app,
        env={**os.environ, "MIX_ENV": "dev", **ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        # Kill it while the CLI introspects (it has a child then): the CLI holds the
        # request and the project lock, and has committed nothing yet.
        deadline = time.monotonic() + 120
        while not any(
            _children(pid) for pid, c in _processes_in(app).items() if "snakebridge port" in c
        ):
            assert compile_.poll() is None, "mix compile ended before its CLI introspected"
            assert time.monotonic() < deadline, "mix compile never started the CLI"
            time.sleep(0.005)
        os.killpg(compile_.pid, signal.SIGKILL)  # the BEAM; the CLI is in a session of its own
        compile_.wait()
        deadline = time.monotonic() + 10
        while _processes_in(app) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _processes_in(app) == {}, "processes outlived the killed mix compile"
    finally:
        for pid in _processes_in(app):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert state(app) == before, "the CLI committed after mix was killed"
    again = run_mix(app, "compile")
    assert again.returncode == 0, again.stdout + again.stderr
    assert {"Numpy.Linalg.det", "Numpy.Fft.fft", "Numpy.median"} <= set(manifest_keys(app))
    assert not list(app.rglob("*.sbtmp"))


def test_an_unknown_literal_keyword_fails_the_compile_at_its_call_site(app: Path) -> None:
    write(
        app,
        "lib/kw.ex",
        "defmodule App.Kw do\n"
        "  def a(xs), do: Numpy.mean(xs, axs: 0, snakebridge: [timeout: 5_000])\n"
        "  def b(xs), do: Numpy.median!(xs, overwrite: true)\n"
        "  def c(xs, opts), do: Numpy.mean(xs, opts)\n"
        "  def d(xs), do: Json.dumps(xs, indent: 2, anything: 1)\n"
        "end\n",
    )
    # Numpy.mean is generated already, Numpy.median not yet: both are checked.
    for env in ({}, {}, {"SNAKEBRIDGE_STRICT": "1"}):
        out = run_mix(app, "compile", env=env)
        text = out.stdout + out.stderr
        assert out.returncode == 1, text
        assert "unknown keyword argument(s) axs: for numpy.mean; valid: " in text
        assert "lib/kw.ex:2" in text
        assert "unknown keyword argument(s) overwrite: for numpy.median; valid: " in text
        assert "overwrite_input" in text and "lib/kw.ex:3" in text
        assert "lib/kw.ex:4" not in text and "lib/kw.ex:5" not in text
    write(
        app,
        "lib/kw.ex",
        "defmodule App.Kw do\n"
        "  def a(xs), do: Numpy.mean(xs, axis: 0, snakebridge: [timeout: 5_000])\n"
        "  def b(xs), do: Numpy.median!(xs, overwrite_input: true)\n"
        "end\n",
    )
    fixed = run_mix(app, "compile")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


def test_turning_the_docs_index_on_writes_it_at_the_next_plain_compile(app: Path) -> None:
    """An up-to-date project that switches to `docs: [source: :metadata]` gets its index
    from the next `mix compile`, without `mix snakebridge.generate`."""
    index = app / ".snakebridge/docs/json.tsv"
    assert not index.exists()
    before = state(app)
    write(
        app,
        "mix.exs",
        MIX_EXS.replace(
            'libraries: [numpy: "~> 2.0", json: :stdlib]',
            'libraries: [numpy: "~> 2.0", json: :stdlib], docs: [source: :metadata]',
        ),
    )
    compiled = run_mix(app, "compile")
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    assert index.read_text().startswith("# snakebridge docs index v2: json ")
    assert (app / ".snakebridge/docs/numpy.tsv").exists()
    assert state(app) == before  # bindings, manifest and lock untouched
