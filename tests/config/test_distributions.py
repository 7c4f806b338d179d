"""PyPI name != import name: the import name comes from the installed distribution."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.commands.helpers import cmd, det

from snakebridge import distributions
from snakebridge.project import ProjectError, project_from_payload


def undeclared(name: str, version: str, module_name: str) -> dict[str, object]:
    """A library as SnakeBridge.Config sends `name: version` without python_module:."""
    return {
        "name": name,
        "version": version,
        "module_name": module_name,
        "python_module": name.replace("-", "_"),
        "python_module_declared": False,
    }


@pytest.mark.parametrize(
    ("distribution", "expected"),
    [
        ("scikit-learn", "sklearn"),  # RECORD only (no top_level.txt)
        ("Pillow", "PIL"),  # top_level.txt
        ("beautifulsoup4", "bs4"),
        ("matplotlib", "matplotlib"),  # several top-level names; one spelled like it
        ("torch", "torch"),  # functorch, torch, torchgen
    ],
)
def test_import_name_of_real_distributions(distribution: str, expected: str) -> None:
    assert distributions.import_name(distribution) == expected


def test_a_distribution_that_is_not_installed_has_no_import_name() -> None:
    assert distributions.import_name("sb-not-installed-anywhere") is None
    assert distributions.resolve("sb-not-installed-anywhere", "sb_x") == "sb_x"


def _fake_distribution(site: Path, name: str, tops: list[str]) -> None:
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "RECORD").write_text(
        "".join(f"{top}/__init__.py,,\n" for top in tops) + f"{info.name}/METADATA,,\n"
    )


def test_an_ambiguous_distribution_names_python_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_distribution(tmp_path, "sb-two-tops", ["alpha_top", "beta_top", "_private"])
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ProjectError, match=r'provides alpha_top, beta_top.*python_module: "alpha'):
        distributions.import_name("sb-two-tops")


def test_the_context_decodes_to_the_real_import_names(tmp_path: Path) -> None:
    project = project_from_payload(
        {
            "root": str(tmp_path),
            "libraries": [
                undeclared("scikit-learn", ">= 1.5.0", "ScikitLearn"),
                undeclared("Pillow", ">= 10.0.0", "Pillow"),
                undeclared("numpy", "~> 2.0", "Numpy"),
                # Declared import names are never second-guessed.
                {
                    "name": "beautifulsoup4",
                    "version": ">= 4.12.0",
                    "module_name": "Soup",
                    "python_module": "not_bs4",
                    "python_module_declared": True,
                },
            ],
        }
    )
    modules = {lib.name: lib.python_module for lib in project.libraries}
    assert modules == {
        "scikit-learn": "sklearn",
        "Pillow": "PIL",
        "numpy": "numpy",
        "beautifulsoup4": "not_bs4",
    }


def test_generation_binds_the_real_modules(tmp_path: Path) -> None:
    libraries = [
        undeclared("scikit-learn", ">= 1.5.0", "ScikitLearn"),
        undeclared("Pillow", ">= 10.0.0", "Pillow"),
        undeclared("beautifulsoup4", ">= 4.12.0", "Beautifulsoup4"),
    ]
    calls = [
        det("ScikitLearn.LinearModel.LinearRegression", "new", 0),
        det("Pillow.Image", "open", 1),
        det("Beautifulsoup4.BeautifulSoup", "new", 0),
    ]
    reply, _ = cmd(tmp_path, "generate", detections=calls, libraries=libraries)
    assert reply.exit_code == 0, reply.data
    generated = tmp_path / "lib/snakebridge_generated"
    assert 'python_module: "sklearn.linear_model"' in (generated / "scikit-learn.ex").read_text()
    assert 'python_module: "PIL.Image"' in (generated / "Pillow.ex").read_text()
    assert 'python_module: "bs4"' in (generated / "beautifulsoup4.ex").read_text()
    lock = (tmp_path / "snakebridge.lock").read_text()
    assert '"scikit-learn"' in lock and '"Pillow"' in lock and '"beautifulsoup4"' in lock


def test_an_undeclared_library_that_is_not_installed_says_so(tmp_path: Path) -> None:
    libraries = [undeclared("sb-not-installed-anywhere", ">= 1.0.0", "SbNot")]
    with pytest.raises(ProjectError, match=r"not installed in .*mix snakebridge.setup"):
        cmd(tmp_path, "generate", detections=[det("SbNot", "f", 0)], libraries=libraries)


def test_importing_distributions_loads_no_codegen() -> None:
    """The worker resolves undeclared import names with this module at start, and the
    runtime never imports codegen (``snakebridge.project`` imports its names)."""
    import subprocess
    import sys

    probe = (
        "import sys, snakebridge.distributions as d; "
        "print(sorted(m for m in sys.modules if m.startswith('snakebridge.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "['snakebridge.distributions']"
