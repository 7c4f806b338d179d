"""Library exceptions rescued by name, through a real ``mix compile`` and real workers.

The app names ``Numpy.Linalg.LinAlgError`` and ``Sympy.PolynomialError`` the ways Elixir
code does (``rescue``, ``rescue e in [...]``, a struct in a function head, ``raise``);
the pre-pass asks for their exception modules, the generator writes them with the
library's registry, and the bang call's Python error is raised as that module. A
ValueError subclass the app does not name still raises ``SnakeBridge.ValueError``.
Strict mode knows them: a named exception without its module fails the compile.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.e2e.mixproject import DEV_ENV, app_mix_exs, mix, write

pytestmark = pytest.mark.e2e

MIX_EXS = app_mix_exs(
    'libraries: [numpy: "~> 2.0", sympy: "~> 1.13"]',
    "\n  def application, do: [extra_applications: [:logger]]\n",
)

APP = """
defmodule App do
  alias Numpy.Linalg

  @singular [[1.0, 2.0], [2.0, 4.0]]

  def inverse(matrix) do
    {:ok, matrix |> Linalg.inv!() |> SnakeBridge.to_elixir!()}
  rescue
    e in Linalg.LinAlgError -> {:linalg, e.message, e.error.python_type}
  end

  def singular, do: inverse(@singular)

  # Any rescue still sees the family through the Python MRO.
  def family do
    Numpy.Linalg.inv!(@singular)
  rescue
    e -> {e.__struct__, SnakeBridge.Error.python_class?(e, "ValueError")}
  end

  # numpy's AxisError is a ValueError subclass the app does not name.
  def axis_error do
    Numpy.sum!([1, 2], axis: 5)
  rescue
    e in SnakeBridge.ValueError -> {:value_error, e.error.python_type}
  end

  def polynomial do
    x = Sympy.Symbol.new!("x")
    Sympy.Poly.new!(Sympy.sympify!("1/x"), x)
  rescue
    e in [Sympy.PolynomialError, ArgumentError] -> described(e)
  end

  defp described(%Sympy.PolynomialError{error: error}), do: {:polynomial, error.python_type}

  def reraised do
    raise Sympy.PolynomialError, error: %SnakeBridge.Error{python_type: "sympy.x", message: "m"}
  end
end
"""


def run(root: Path, expr: str) -> str:
    return mix(root, "run", "-e", expr, env=DEV_ENV).stdout.strip().splitlines()[-1]


def test_library_exceptions_are_generated_and_rescued_by_name(tmp_path: Path) -> None:
    root = tmp_path / "app"
    write(root, "mix.exs", MIX_EXS)
    write(root, "lib/app.ex", APP)
    mix(root, "compile", "--warnings-as-errors", env=DEV_ENV)

    numpy_ex = (root / "lib/snakebridge_generated/numpy.ex").read_text()
    sympy_ex = (root / "lib/snakebridge_generated/sympy.ex").read_text()
    assert "defmodule Numpy.Linalg.LinAlgError do" in numpy_ex
    assert "  defexception [:message, :error]" in numpy_ex
    assert '"numpy.linalg.LinAlgError" => Numpy.Linalg.LinAlgError' in numpy_ex
    assert "defmodule SnakeBridge.Exceptions.Numpy do" in numpy_ex
    assert "defmodule Sympy.PolynomialError do" in sympy_ex
    assert '"sympy.polys.polyerrors.PolynomialError" => Sympy.PolynomialError' in sympy_ex

    manifest = json.loads((root / ".snakebridge/manifest.json").read_text())
    symbols = manifest["symbols"]
    assert symbols["Numpy.Linalg.LinAlgError.exception"]["kind"] == "exception"
    assert symbols["Numpy.Linalg.LinAlgError.exception"]["python"] == "numpy.linalg.LinAlgError"
    assert symbols["Sympy.PolynomialError.exception"]["kind"] == "exception"

    singular = run(root, "IO.puts(inspect(App.singular()))")
    assert singular.startswith(
        '{:linalg, "numpy.linalg.LinAlgError: Singular matrix\\n    in call numpy.linalg.inv'
    ), singular
    assert singular.endswith(', "numpy.linalg.LinAlgError"}'), singular
    assert run(root, "IO.puts(inspect(App.family()))") == "{Numpy.Linalg.LinAlgError, true}"
    assert run(root, "IO.puts(inspect(App.axis_error()))") == (
        '{:value_error, "numpy.exceptions.AxisError"}'
    )
    assert run(root, "IO.puts(inspect(App.polynomial()))") == (
        '{:polynomial, "sympy.polys.polyerrors.PolynomialError"}'
    )
    assert run(root, "IO.puts(inspect(App.inverse([[2.0, 0.0], [0.0, 4.0]])))") == (
        "{:ok, [[0.5, 0.0], [0.0, 0.25]]}"
    )
    raised = run(root, "try do App.reraised() rescue e -> IO.puts(inspect(e.message)) end")
    assert raised == '"sympy.x: m"'

    mix(root, "snakebridge.verify", env=DEV_ENV)

    # Strict mode: a newly named exception without its module fails, naming it.
    write(
        root,
        "lib/more.ex",
        "defmodule More do\n  def f(e), do: match?(%Numpy.Exceptions.AxisError{}, e)\nend\n",
    )
    strict = mix(root, "compile", env={**DEV_ENV, "SNAKEBRIDGE_STRICT": "1"}, check=False)
    out = strict.stdout + strict.stderr
    assert strict.returncode != 0, out
    assert "Numpy.Exceptions.AxisError (named as an exception) has no committed exception" in out
    assert "lib/more.ex:2" in out

    # A class that is no exception cannot be one.
    write(
        root,
        "lib/more.ex",
        "defmodule More do\n  def f(e), do: is_exception(e, Numpy.Ndarray)\nend\n",
    )
    refused = mix(root, "compile", env=DEV_ENV, check=False)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0, out
    assert "need an exception class; numpy.ndarray is a class that does not derive" in out
