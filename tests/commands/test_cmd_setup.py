"""mix snakebridge.setup's Python half, for real: uv builds a venv and installs into it.

Runs the command the way the Mix task does: on a bootstrap interpreter with no site
packages (``-S``) and only the Elixir package's ``priv/python`` on PYTHONPATH. Uses the
tiny ``six`` package so the lock pin (1.16.0) differs from the newest release.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PRIV_PYTHON = Path(__file__).resolve().parents[2] / "elixir/priv/python"
SIX = [
    {"name": "six", "version": "~> 1.16", "module_name": "Six", "python_module": "six"},
    {"name": "json", "stdlib": True, "module_name": "Json", "python_module": "json"},
]


def setup(
    root: Path, libraries: list[dict[str, object]], *argv: str
) -> subprocess.CompletedProcess[str]:
    context = {
        "root": str(root),
        "libraries": libraries,
        "generated_dir": "lib/snakebridge_generated",
        "python": str(root / ".snakebridge/venv/bin/python"),
        "python_source": "default",
    }
    ctx = root / "ctx.json"
    ctx.write_text(json.dumps(context))
    base = getattr(sys, "_base_executable", sys.executable)
    environ = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}
    environ["PYTHONPATH"] = str(PRIV_PYTHON)
    environ.pop("SNAKEBRIDGE_BOOTSTRAP_PYTHON", None)
    return subprocess.run(
        [base, "-S", "-m", "snakebridge", "--context", str(ctx), "setup", *argv],
        capture_output=True,
        text=True,
        env=environ,
        timeout=600,
        cwd=root,
    )


def check_only(root: Path, context: dict[str, object]) -> subprocess.CompletedProcess[str]:
    """setup with the interpreter chosen by SNAKEBRIDGE_PYTHON: it only checks and reports."""
    ctx = root / "ctx.json"
    ctx.write_text(json.dumps({"root": str(root), "python_source": "env", **context}))
    return subprocess.run(
        [sys.executable, "-m", "snakebridge", "--context", str(ctx), "setup", "--no-git-files"],
        capture_output=True,
        text=True,
        timeout=300,
    )


def venv_version(root: Path, dist: str) -> str:
    python = root / ".snakebridge/venv/bin/python"
    return subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.mark.e2e
def test_setup_builds_pins_is_idempotent_and_follows_mix_exs(tmp_path: Path) -> None:
    root = tmp_path / "app"
    root.mkdir()
    (root / ".gitignore").write_text("/_build\n")
    (root / "snakebridge.lock").write_text(
        json.dumps(
            {
                "snakebridge_lock": 1,
                "environment": {
                    "generator_hash": "",
                    "interpreter_hash": "",
                    "python_platform": "",
                    "python_version": "",
                    "snakebridge_version": "",
                },
                "libraries": {
                    "six": {"files_hash": "", "requested": "~> 1.16", "resolved": "1.16.0"}
                },
            }
        )
    )

    first = setup(root, SIX)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "six 1.16.0 (pinned by snakebridge.lock)" in first.stdout
    assert "packages: installed" in first.stdout
    assert venv_version(root, "six") == "1.16.0"
    # The worker package is importable in the venv, from this checkout.
    proc = subprocess.run(
        [
            str(root / ".snakebridge/venv/bin/python"),
            "-c",
            "import snakebridge, sys; print(snakebridge.__file__)",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PRIV_PYTHON)},
        check=True,
    )
    # snakebridge comes from the Elixir package's priv/python; the venv holds only its
    # dependencies, so a copy of the venv points at no source tree.
    assert proc.stdout.strip() == str(PRIV_PYTHON / "snakebridge" / "__init__.py")
    assert venv_version(root, "docstring_parser")
    assert not list((root / ".snakebridge/venv").rglob("*snakebridge*.pth"))
    alone = subprocess.run(
        [str(root / ".snakebridge/venv/bin/python"), "-c", "import snakebridge"],
        capture_output=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert alone.returncode != 0
    gitignore = (root / ".gitignore").read_text()
    assert gitignore.startswith("/_build\n") and "/.snakebridge/venv/" in gitignore
    assert "merge=union" in (root / ".gitattributes").read_text()
    # The lock is never written by setup.
    assert (
        json.loads((root / "snakebridge.lock").read_text())["libraries"]["six"]["resolved"]
        == "1.16.0"
    )

    git_files = {p: (root / p).read_bytes() for p in (".gitignore", ".gitattributes")}
    second = setup(root, SIX)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "packages: already up to date" in second.stdout
    assert "git files: up to date" in second.stdout
    assert {p: (root / p).read_bytes() for p in git_files} == git_files

    # mix.exs now asks for something the lock's version does not satisfy.
    newer = [{**SIX[0], "version": "~> 1.17"}, SIX[1]]
    third = setup(root, newer)
    assert third.returncode == 0, third.stdout + third.stderr
    assert venv_version(root, "six").startswith("1.17")
    assert "snakebridge.lock had 1.16.0, which no longer satisfies '~> 1.17'" in third.stdout


@pytest.mark.e2e
def test_setup_reports_an_uninstallable_library(tmp_path: Path) -> None:
    libs = [{"name": "six", "version": "~> 99.0", "module_name": "Six", "python_module": "six"}]
    proc = setup(tmp_path, libs, "--no-git-files")
    assert proc.returncode == 1
    assert "uv pip install failed" in proc.stderr + proc.stdout
    assert not (tmp_path / ".gitignore").exists()


def _undeclared(name: str, version: str, module_name: str) -> dict[str, object]:
    # What SnakeBridge.Config sends for `name: version` without python_module:.
    return {
        "name": name,
        "version": version,
        "module_name": module_name,
        "python_module": name.replace("-", "_"),
        "python_module_declared": False,
    }


@pytest.mark.e2e
def test_setup_finds_import_names_from_the_installed_distributions(tmp_path: Path) -> None:
    libs = [
        _undeclared("scikit-learn", ">= 1.5.0", "ScikitLearn"),
        _undeclared("Pillow", ">= 10.0.0", "Pillow"),
        _undeclared("beautifulsoup4", ">= 4.12.0", "Beautifulsoup4"),
        _undeclared("six", "~> 1.16", "Six"),
    ]
    proc = setup(tmp_path, libs, "--no-git-files")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = {line.split()[0]: line for line in proc.stdout.splitlines() if line.startswith("  ")}
    assert "(imported as sklearn)" in lines["scikit-learn"]
    assert "(imported as PIL)" in lines["Pillow"]
    assert "(imported as bs4)" in lines["beautifulsoup4"]
    assert "imported as" not in lines["six"]


@pytest.mark.e2e
def test_setup_names_python_module_when_the_import_name_is_ambiguous(tmp_path: Path) -> None:
    # A distribution with two public top-level packages, none spelled like it.
    pkg = tmp_path / "twotops"
    for name in ("alpha_top", "beta_top"):
        (pkg / name).mkdir(parents=True)
        (pkg / name / "__init__.py").write_text("")
    (pkg / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "sb-two-tops"\nversion = "1.0.0"\n'
        '[tool.setuptools]\npackages = ["alpha_top", "beta_top"]\n'
    )
    root = tmp_path / "app"
    root.mkdir()
    first = setup(root, [_undeclared("six", "~> 1.16", "Six")], "--no-git-files")
    assert first.returncode == 0, first.stdout + first.stderr
    # Not on any index: installed into the managed venv by hand, then declared.
    python = root / ".snakebridge/venv/bin/python"
    subprocess.run(
        ["uv", "pip", "install", "--quiet", "--python", str(python), str(pkg)], check=True
    )
    proc = setup(root, [_undeclared("sb-two-tops", ">= 1.0.0", "SbTwoTops")], "--no-git-files")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "provides alpha_top, beta_top" in out
    assert 'python_module: "alpha_top"' in out


def test_setup_rejects_unknown_flags(tmp_path: Path) -> None:
    proc = setup(tmp_path, SIX, "--frobnicate")
    assert proc.returncode == 2
    assert "mix snakebridge.setup: unrecognized arguments: --frobnicate" in proc.stderr


def test_snakebridge_python_override_is_only_checked(tmp_path: Path) -> None:
    """With SNAKEBRIDGE_PYTHON set, setup installs nothing anywhere: it reports."""
    libraries = [
        {"name": "numpy", "version": "~> 2.0", "module_name": "Numpy", "python_module": "numpy"},
        {
            "name": "no_such_lib_xyz",
            "version": "~> 1.0",
            "module_name": "NoSuch",
            "python_module": "no_such_lib_xyz",
        },
    ]
    proc = check_only(tmp_path, {"libraries": libraries, "python": sys.executable})
    assert proc.returncode == 1
    assert "(checked only; unset it to manage)" in proc.stdout
    assert "numpy 2." in proc.stdout
    assert f"no_such_lib_xyz is not installed in {sys.executable}" in proc.stderr
    assert not (tmp_path / ".snakebridge").exists()


@pytest.mark.e2e
def test_python_config_names_the_venv_to_manage(tmp_path: Path) -> None:
    """`snakebridge: [python: "envs/py/bin/python"]`: setup builds and fills that venv."""
    target = tmp_path / "envs" / "py" / "bin" / "python"
    context = {
        "root": str(tmp_path),
        "libraries": [
            {"name": "json", "stdlib": True, "module_name": "Json", "python_module": "json"}
        ],
        "python": str(target),
        "python_source": "config",
    }
    ctx = tmp_path / "ctx.json"
    ctx.write_text(json.dumps(context))
    base = getattr(sys, "_base_executable", sys.executable)
    environ = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    environ["PYTHONPATH"] = str(PRIV_PYTHON)
    environ.pop("SNAKEBRIDGE_BOOTSTRAP_PYTHON", None)
    proc = subprocess.run(
        [base, "-S", "-m", "snakebridge", "--context", str(ctx), "setup", "--no-git-files"],
        capture_output=True,
        text=True,
        env=environ,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"environment: {tmp_path / 'envs' / 'py'} (from `python:` in mix.exs)" in proc.stdout
    assert (tmp_path / "envs/py/pyvenv.cfg").exists()
    assert not (tmp_path / ".snakebridge/venv").exists()
    subprocess.run(
        [str(target), "-c", "import snakebridge.runtime, docstring_parser"],
        env={**os.environ, "PYTHONPATH": str(PRIV_PYTHON)},
        check=True,
    )


def test_setup_checks_each_local_module_imports_from_python_path(tmp_path: Path) -> None:
    """A :local library is not installed: setup finds it in python_path: and imports it
    with the environment's interpreter, naming the module and the fix when it fails."""
    local = tmp_path / "priv/python"
    local.mkdir(parents=True)
    (local / "tools.py").write_text("import json\nprint('tools prints while imported')\n")
    (local / "broken.py").write_text("import no_such_dependency_xyz\n")

    def lib(name: str) -> dict[str, object]:
        return {"name": name, "local": True, "module_name": name.title(), "python_module": name}

    context = {
        "libraries": [lib("tools"), lib("broken"), lib("absent")],
        "python": sys.executable,
        "python_path": ["priv/python"],
    }
    proc = check_only(tmp_path, context)
    assert proc.returncode == 1
    assert "  tools (local, priv/python/tools.py)" in proc.stdout
    assert "tools prints" not in proc.stdout
    assert (
        f"broken (priv/python/broken.py) does not import in {sys.executable}: "
        "ModuleNotFoundError: No module named 'no_such_dependency_xyz'; fix the module, or "
        "declare the libraries it imports in mix.exs so setup installs them"
    ) in proc.stderr
    assert (
        "absent is declared :local, but no directory of python_path: (priv/python) holds "
        "absent.py or a package absent/"
    ) in proc.stderr
    assert not (local / "__pycache__").exists()
