"""Every Elixir example in the README and docs/guides runs, and shows what it says.

One app (``tests/docs/app``), one generation, one BEAM per run: the examples of every
page are written into the app's ``snippets/`` directory, ``mix compile`` lets the real
pre-pass generate the bindings they call, and ``DocsApp.Runner`` evaluates them page by
page in one ``mix run``, comparing each ``#=>`` result shown (docs/guides/README.md
says how to write one). Each example is then one test here, named by its file and line.

``selfcheck/`` holds pages of examples that must fail, each marked with what its
failure says, run in the same BEAM: a runner that passed everything would fail them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from tests.docs import snippets

from snakebridge import etf

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PYTHON = REPO / ".venv" / "bin" / "python"
SELFCHECK = sorted((HERE / "selfcheck").glob("*.md"))

PAGES = snippets.pages()
BLOCKS = [block for page in PAGES for block in snippets.blocks(page)]
CHECKS = [block for page in SELFCHECK for block in snippets.blocks(page)]
_FAILS = re.compile(r"<!--\s*fails:\s*(?P<text>.*?)\s*-->")


def _slug(page: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", page.removesuffix(".md")).strip("_").lower()


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(cmd)} in {cwd} exited {proc.returncode}\n--- stdout\n"
            f"{proc.stdout[-12000:]}\n--- stderr\n{proc.stderr[-12000:]}"
        )
    return proc


@pytest.fixture(scope="session")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Builds the docs app once, runs every page's examples, returns results by block id."""
    root = tmp_path_factory.mktemp("docs")
    app = root / "app"
    shutil.copytree(HERE / "app", app, ignore=shutil.ignore_patterns("_build", ".snakebridge"))
    mix_exs = app / "mix.exs"
    text = mix_exs.read_text()
    assert 'path: "../../../elixir"' in text
    mix_exs.write_text(text.replace('path: "../../../elixir"', f'path: "{REPO / "elixir"}"'))

    by_page: dict[str, list[snippets.Block]] = {}
    for block in BLOCKS + CHECKS:
        by_page.setdefault(block.page, []).append(block)
    (app / "snippets").mkdir()
    for page, page_blocks in by_page.items():
        (app / "snippets" / f"{_slug(page)}.exs").write_text(snippets.scanner_source(page_blocks))
    request = [
        {
            "page": page,
            "blocks": [{"line": b.line, "kind": b.kind, "code": b.code} for b in page_blocks],
        }
        for page, page_blocks in by_page.items()
    ]
    (root / "input.etf").write_bytes(etf.encode(request))

    env = {
        **os.environ,
        "MIX_ENV": "dev",
        "HEX_OFFLINE": "1",
        "SNAKEBRIDGE_PYTHON": str(PYTHON),
        "SB_DOCS_BUILD": str(root / "_build"),
    }
    started = time.monotonic()
    _run(["mix", "compile"], app, env)
    compiled = time.monotonic()
    output = root / "output.etf"
    runner = f'DocsApp.Runner.main(["{root / "input.etf"}", "{output}"])'
    _run(["mix", "run", "--no-compile", "-e", runner], app, env)
    done = time.monotonic()
    print(
        f"\ndocs examples: {len(BLOCKS)} blocks on {len(PAGES)} pages "
        f"(+{len(CHECKS)} self-checks); compile with generation {compiled - started:.1f} s, "
        f"run {done - compiled:.1f} s"
    )
    decoded = etf.decode(output.read_bytes())
    assert isinstance(decoded, list)
    return {f"{r['page']}:{r['line']}": r for r in decoded}


@pytest.mark.e2e
@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_example_runs(block: snippets.Block, results: dict[str, dict[str, Any]]) -> None:
    result = results[block.id]
    if not result["ok"]:
        pytest.fail(f"{block.id} ({block.kind}):\n{result['message']}", pytrace=False)


def _expected_failure(block: snippets.Block) -> str | None:
    lines = (REPO / block.page).read_text().splitlines()[: block.line - 1]
    for line in reversed(lines):
        if (found := _FAILS.search(line)) is not None:
            return found.group("text")
        if line.strip() and not line.lstrip().startswith("<!--"):
            return None
    return None


@pytest.mark.e2e
@pytest.mark.parametrize("block", CHECKS, ids=[b.id for b in CHECKS])
def test_runner_selfcheck(block: snippets.Block, results: dict[str, dict[str, Any]]) -> None:
    result = results[block.id]
    expected = _expected_failure(block)
    if expected is None:
        assert result["ok"], f"{block.id} should pass:\n{result['message']}"
    else:
        assert not result["ok"], f"{block.id} should fail with {expected!r}"
        assert expected in result["message"], result["message"]


def test_few_examples_are_illustrative() -> None:
    assert len(PAGES) > 1, "no guides found under docs/guides"
    for page in PAGES:
        page_blocks = snippets.blocks(page)
        illustrative = [b for b in page_blocks if b.kind == "illustrative"]
        # Illustrative blocks are the exception: at most a quarter of a page's examples.
        assert len(illustrative) * 4 <= max(len(page_blocks), 4), (
            f"{page.name}: {len(illustrative)} of {len(page_blocks)} examples are not run: "
            + ", ".join(f"{b.id} ({b.reason})" for b in illustrative)
        )
