"""A project-local Python module (``python_path: ["priv/python"]``) through a real
``mix compile`` and real workers, with names Python allows but Elixir does not: an
attribute name containing "." (``globals()["dotted.name"]``, ``setattr(Box, "get.v")``),
one with "%", and a protocol method (``Box.__getitem__``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.e2e.mixproject import DEV_ENV, app_mix_exs, mix, write

pytestmark = pytest.mark.e2e

MIX_EXS = app_mix_exs('python_path: ["priv/python"], libraries: [sbweird: :local]')

WEIRD_PY = '''
"""Names Python allows that are not identifiers."""


def _double(x):
    """Doubles x."""
    return x * 2


globals()["dotted.name"] = _double
globals()["dotted.value"] = 42
globals()["100%"] = 7


class Box:
    """Holds a value."""

    def __init__(self, v):
        self.v = v

    def __getitem__(self, key):
        return [self.v, key]


setattr(Box, "get.v", lambda self: self.v)
'''

APP_EX = """
defmodule App do
  def run do
    {:ok, box} = Sbweird.Box.new(3)

    [
      Sbweird.py_u_646f747465642e6e616d65!(21),
      Sbweird.py_u_646f747465642e76616c7565!(),
      Sbweird.py_u_31303025!(),
      Sbweird.Box.py_u_6765742e76!(box),
      Sbweird.Box.py___getitem__!(box, "k")
    ]
  end
end
"""


def test_local_module_names_with_dots_and_protocol_methods_are_callable(tmp_path: Path) -> None:
    root = tmp_path / "app"
    write(root, "mix.exs", MIX_EXS)
    write(root, "priv/python/sbweird.py", WEIRD_PY)
    write(root, "lib/app.ex", APP_EX)
    mix(root, "compile", "--warnings-as-errors", env=DEV_ENV)
    generated = root / "lib/snakebridge_generated/sbweird.ex"
    text = generated.read_text()
    assert 'function: "dotted%2Ename"' in text and 'python: "sbweird.Box.get%2Ev"' in text
    mix(root, "format", "--check-formatted", str(generated), env=DEV_ENV)
    ran = mix(root, "run", "-e", "IO.inspect(App.run())", env=DEV_ENV)
    assert ran.stdout.strip().splitlines()[-1] == '[42, 42, 7, 3, [3, "k"]]', ran.stdout
