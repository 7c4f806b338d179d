"""The paths a copied venv still has into the build machine, made relative or refused."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from snakebridge.commands import release


def _venv(tmp: Path) -> Path:
    """A real venv (stdlib only), with an entry-point script as pip writes one."""
    venv = tmp / "build" / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    script = venv / "bin" / "hello"
    script.write_text(
        f"#!{venv}/bin/python\nimport sys\nprint('hello from', sys.prefix)\n",
    )
    script.chmod(0o755)
    return venv


def test_scripts_run_from_the_moved_venv(tmp_path: Path) -> None:
    venv = _venv(tmp_path)
    copy = tmp_path / "release" / "venv"
    shutil.copytree(venv, copy, symlinks=True)

    assert release._fix_scripts(copy / "bin", venv) == ["hello"]
    shutil.rmtree(venv)
    moved = tmp_path / "moved" / "venv"
    shutil.move(str(copy), str(moved))

    out = subprocess.run([str(moved / "bin" / "hello")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"hello from {moved}"


def test_pth_entries_into_the_venv_become_relative(tmp_path: Path) -> None:
    venv = _venv(tmp_path)
    site = release._site_packages(venv)
    (venv / "extra").mkdir()
    (site / "extra.pth").write_text(f"{venv}/extra\nimport os\nrelative/dir\n")
    copy = tmp_path / "release" / "venv"
    shutil.copytree(venv, copy, symlinks=True)
    copied_site = release._site_packages(copy)

    release._fix_pth(copied_site, venv, copy)

    lines = (copied_site / "extra.pth").read_text().splitlines()
    assert lines == ["../../../extra", "import os", "relative/dir"]
    assert (copied_site / lines[0]).resolve() == (copy / "extra").resolve()


def test_pth_entries_outside_the_venv_fail_the_release(tmp_path: Path) -> None:
    venv = _venv(tmp_path)
    site = release._site_packages(venv)
    (site / "__editable__.mylib.pth").write_text("/home/dev/mylib/src\n")

    with pytest.raises(release.ReleaseError, match=r"(?s)editable install\?.*mylib/src"):
        release._fix_pth(site, venv, venv)


def test_uv_python_dir_follows_uv(tmp_path: Path) -> None:
    assert release.uv_python_dir({"UV_PYTHON_INSTALL_DIR": "/opt/py"}) == Path("/opt/py")
    assert release.uv_python_dir({"XDG_DATA_HOME": "/data"}) == Path("/data/uv/python")
    assert release.uv_python_dir({}) == Path.home() / ".local/share/uv/python"
