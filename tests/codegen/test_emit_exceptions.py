"""Exception modules: a class named as an exception is rendered as a ``defexception``
(with its other bindings, if any), the library gets a registry keyed by the Python class
the worker reports, readback finds the symbol, and names that cannot coexist are refused."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from tests.codegen.elixir_harness import ElixirProject
from tests.codegen.fixtures import spec

from snakebridge import etf
from snakebridge.codegen import model
from snakebridge.codegen.emit import GenerationError, render_library, symbol_texts
from snakebridge.codegen.model import Param, ParamKind, Signature

MRO = ("numpy.linalg.LinAlgError", "ValueError", "Exception", "BaseException")


def error_class(
    qualname: str = "LinAlgError", module: str = "numpy.linalg", **kw: object
) -> model.Class:
    fields: dict[str, object] = {
        "name": qualname,
        "qualname": qualname,
        "module": module,
        "constructor": Signature((Param("args", ParamKind.VAR_POSITIONAL),)),
        "bases": ("ValueError",),
        "constructor_requested": False,
        "exception_mro": (f"{module}.{qualname}", *MRO[1:]),
        **kw,
    }
    return model.Class(**fields)  # type: ignore[arg-type]


def library(*classes: model.Class, root: tuple[model.Class, ...] = ()) -> model.Library:
    linalg = model.Module(name="numpy.linalg", classes=classes)
    return model.Library(
        name="numpy",
        version="2.0.0",
        python_module="numpy",
        elixir_module="Numpy",
        root=model.Module(name="numpy", classes=root, submodules=(linalg,)),
    )


def test_exception_module_registry_manifest_kind_and_readback() -> None:
    rendered = render_library(library(error_class()), spec(), tool_version="0.1.0")
    source = rendered.source
    assert "defmodule Numpy.Linalg.LinAlgError do" in source
    assert "  defexception [:message, :error]" in source
    assert (
        "  def exception(opts), do: struct!(__MODULE__, SnakeBridge.Error.exception_fields(opts))"
        in source
    )
    assert "defmodule SnakeBridge.Exceptions.Numpy do" in source
    assert '    "numpy.linalg.LinAlgError" => Numpy.Linalg.LinAlgError\n  }' in source
    # The moduledoc says what it is matched by, and the rescue caveat.
    assert "`numpy.linalg.LinAlgError`, `ValueError`, `Exception`, `BaseException`" in source
    assert 'SnakeBridge.Error.python_class?(e, "ValueError")' in source
    # ... and what the module is: an exception, not instances held as refs
    assert "Bindings for the Python exception class `numpy.linalg.LinAlgError`" in source
    assert (
        "A Python exception: a call that raises it raises the Elixir exception "
        "`Numpy.Linalg.LinAlgError` (see Exception below)." in source
    )
    assert "Instances live in Python" not in source and "ref (`t:t/0`)" not in source

    (symbol,) = rendered.symbols
    assert (symbol.elixir_module, symbol.name, symbol.arities, symbol.kind) == (
        "Numpy.Linalg.LinAlgError",
        "exception",
        (1,),
        "exception",
    )
    assert symbol.python == "numpy.linalg.LinAlgError"
    texts = symbol_texts(source)
    text = texts[("Numpy.Linalg.LinAlgError", "exception")]
    assert hashlib.sha256(text.encode()).hexdigest() == symbol.checksum
    assert text.startswith("  # The Elixir exception raised for the Python class")


def test_an_exception_class_keeps_its_other_bindings() -> None:
    args = model.Attribute(name="args", kind="data")
    cls = error_class(attributes=(args,), constructor_requested=True)
    rendered = render_library(library(cls), spec(), tool_version="0.1.0")
    names = {(s.name, s.kind) for s in rendered.symbols}
    assert names == {("exception", "exception"), ("new", "constructor"), ("args", "attribute")}
    assert "An instance held in Python is a ref (`t:t/0`): create one with `new`" in rendered.source
    texts = symbol_texts(rendered.source)
    for s in rendered.symbols:
        assert hashlib.sha256(texts[(s.elixir_module, s.name)].encode()).hexdigest() == s.checksum


def test_a_member_named_like_an_exception_function_is_refused() -> None:
    message = model.Attribute(name="message", kind="data")
    with pytest.raises(GenerationError, match=r"Numpy.Linalg.LinAlgError.message would wrap"):
        render_library(library(error_class(attributes=(message,))), spec(), tool_version="0")


def test_two_modules_for_one_python_class_are_refused() -> None:
    again = error_class(module="numpy")
    again = dataclasses.replace(again, exception_mro=MRO)
    with pytest.raises(GenerationError, match=r"same Python class numpy.linalg.LinAlgError"):
        render_library(library(error_class(), root=(again,)), spec(), tool_version="0")


def test_generated_exception_compiles_formats_and_is_raised(elixir_project: ElixirProject) -> None:
    rendered = render_library(library(error_class()), spec(), tool_version="0.1.0")
    elixir_project.check({"numpy.ex": rendered.source})
    raised = elixir_project.evaluate(
        """
        error = %SnakeBridge.Error{python_type: "numpy.linalg.LinAlgError", message: "Singular"}

        try do
          raise Numpy.Linalg.LinAlgError, error: error
        rescue
          e in Numpy.Linalg.LinAlgError ->
            {e.message, SnakeBridge.Exceptions.Numpy.__exceptions__(), Exception.message(e),
             SnakeBridge.Exceptions.Numpy.__exception_mro__()}
        end
        """
    )
    module = etf.Atom("Elixir.Numpy.Linalg.LinAlgError")
    assert raised == (
        "numpy.linalg.LinAlgError: Singular",
        {"numpy.linalg.LinAlgError": module},
        "numpy.linalg.LinAlgError: Singular",
        {module: list(MRO)},
    )
