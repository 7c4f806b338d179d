"""What the generate command decides on its own: which detections it binds, and what it
reports when a call cannot be bound. (The invalidation table is test_cmd_invalidation.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from snakebridge.state import manifest

from .helpers import cmd, det, generate, snapshot

COLLIDING = '''
def mean(x):
    """The mean."""
    return x


def mean_stream(x):
    """Already a function of that name."""
    return x
'''


def _symbols(root: Path) -> list[str]:
    return sorted(manifest.read(root / ".snakebridge/manifest.json").symbols)


def test_bang_and_discovery_calls_bind_the_plain_function_only(tmp_path: Path) -> None:
    generate(
        tmp_path,
        [det("Numpy", "mean!", 1), det("Numpy", "doc", 1), det("Numpy", "__functions__", 0)],
    )
    assert _symbols(tmp_path) == ["Numpy.mean"]


def test_unknown_symbol_is_an_error_at_its_call_site_with_suggestions(tmp_path: Path) -> None:
    reply, _ = cmd(
        tmp_path,
        "generate",
        detections=[det("Numpy", "meen", 1, file="lib/stats.ex", line=7), det("Numpy", "std", 1)],
    )
    assert reply.exit_code == 1
    [diag] = reply.data["diagnostics"]
    assert (diag["severity"], diag["file"], diag["line"]) == ("error", "lib/stats.ex", 7)
    assert "Numpy.meen" in diag["message"] and "mean" in diag["message"]
    # The symbols that did resolve are still generated.
    assert _symbols(tmp_path) == ["Numpy.std"]


def test_call_with_an_arity_the_binding_cannot_take_is_an_error(tmp_path: Path) -> None:
    reply, _ = cmd(
        tmp_path, "generate", detections=[det("Numpy", "mean", 7, file="lib/a.ex", line=3)]
    )
    assert reply.exit_code == 1
    [diag] = reply.data["diagnostics"]
    assert (diag["file"], diag["line"]) == ("lib/a.ex", 3)
    assert "Numpy.mean/7" in diag["message"] and "numpy.mean" in diag["message"]


def test_streaming_variant_binds_its_base_function(tmp_path: Path) -> None:
    libraries = [
        {
            "name": "json",
            "stdlib": True,
            "module_name": "Json",
            "python_module": "json",
            "streaming": ["dumps"],
        }
    ]
    generate(tmp_path, [det("Json", "dumps_stream", 1)], libraries=libraries)
    assert _symbols(tmp_path) == ["Json.dumps"]
    assert "def dumps_stream(" in (tmp_path / "lib/snakebridge_generated/json.ex").read_text()


def test_a_library_that_cannot_be_rendered_leaves_its_files_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "pkgs"
    package.mkdir()
    (package / "sbcollide.py").write_text(COLLIDING)
    monkeypatch.setenv("PYTHONPATH", str(package))
    root = tmp_path / "app"
    spec = {"name": "sbcollide", "stdlib": True, "module_name": "Sbcollide"}
    calls = [det("Sbcollide", "mean", 1), det("Sbcollide", "mean_stream", 1)]
    generate(root, calls, libraries=[spec])
    before = snapshot(root)

    # Declaring `mean` streaming asks for a `mean_stream` wrapper: the name is taken.
    streaming = [{**spec, "streaming": ["mean"]}]
    reply, _ = cmd(root, "generate", detections=calls, libraries=streaming)
    assert reply.exit_code == 1
    messages = " ".join(d["message"] for d in reply.data["diagnostics"])
    assert "mean_stream" in messages and "sbcollide" in messages
    assert snapshot(root) == before


@pytest.mark.parametrize("arity", [0, 1])
def test_a_call_naming_a_module_is_an_error_and_renders_no_module(
    tmp_path: Path, arity: int
) -> None:
    reply, _ = cmd(
        tmp_path,
        "generate",
        detections=[
            det("Numpy", "linalg", arity, file="lib/m.ex", line=4),
            det("Numpy", "mean", 1),
        ],
    )
    assert reply.exit_code == 1
    [diag] = reply.data["diagnostics"]
    assert (diag["severity"], diag["file"], diag["line"]) == ("error", "lib/m.ex", 4)
    assert "numpy.linalg is a module" in diag["message"]
    assert "Numpy.Linalg.<function>" in diag["message"]
    source = (tmp_path / "lib/snakebridge_generated/numpy.ex").read_text()
    assert "defmodule Numpy.Linalg" not in source
    assert _symbols(tmp_path) == ["Numpy.mean"]
