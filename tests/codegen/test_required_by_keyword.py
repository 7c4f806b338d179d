"""Required positional-or-keyword parameters given by name (``date(year=2024, month=1,
day=2)``): the arities, docs and specs the generator writes for them, compiled and
called through the real runtime's argument checks (refused before any worker is used)."""

from __future__ import annotations

from tests.codegen.elixir_harness import ElixirProject
from tests.codegen.fixtures import spec

from snakebridge.codegen import model
from snakebridge.codegen.emit import render_library, shape
from snakebridge.codegen.model import Param, ParamKind, Signature

PK = ParamKind.POSITIONAL_OR_KEYWORD
PO = ParamKind.POSITIONAL_ONLY


def fn(name: str, *params: Param, kind: str = "function") -> model.Function:
    return model.Function(
        name=name,
        qualname=name,
        module="sbdate",
        kind=kind,  # type: ignore[arg-type]
        signature=Signature(params),
    )


def library() -> model.Library:
    date = fn("date", Param("year", PK), Param("month", PK), Param("day", PK))
    # positional-only before the by-name run: pow(base, /, exp, mod=None)
    power = fn("power", Param("base", PO), Param("exp", PK), Param("mod", PK, True, "None"))
    only = fn("only", Param("a", PO), Param("b", PO))
    cls = model.Class(
        name="Cache",
        qualname="Cache",
        module="sbdate",
        constructor=Signature((Param("maxsize", PK), Param("ttl", PK))),
        constructor_requested=True,
        methods=(
            fn("put", Param("self", PK), Param("key", PK), Param("value", PK), kind="method"),
        ),
    )
    return model.Library(
        name="sbdate",
        version="1.0",
        python_module="sbdate",
        elixir_module="Sbdate",
        root=model.Module(name="sbdate", functions=(date, power, only), classes=(cls,)),
    )


def test_arities_run_down_to_the_positional_only_ones() -> None:
    def arities(*params: Param, receiver: bool = False) -> tuple[int, ...]:
        return shape.plan_call(Signature(params), receiver=receiver).arities

    # date(opts), date(year, opts), date(year, month, opts), date(y, m, d), + opts
    assert arities(Param("year", PK), Param("month", PK), Param("day", PK)) == (1, 2, 3, 4)
    # base stays positional: power(base, opts), power(base, exp), power(base, exp, mod), + opts
    assert arities(Param("base", PO), Param("exp", PK), Param("mod", PK, True, "None")) == (
        2,
        3,
        4,
    )
    assert arities(Param("a", PO), Param("b", PO)) == (2, 3)
    # one by-name parameter: no arity more than before (the last one by keyword)
    assert arities(Param("text", PK)) == (1, 2)
    # a method: the ref, then put(ref, opts) up to put(ref, key, value, opts)
    assert arities(Param("key", PK), Param("value", PK), receiver=True) == (2, 3, 4)
    # keyword-capable parameters before a positional-only one cannot be left out
    assert arities(Param("a", PK), Param("b", PO)) == (2, 3)


def test_generated_wrappers_compile_and_apply_the_rule(elixir_project: ElixirProject) -> None:
    rendered = render_library(library(), spec("sbdate", "Sbdate"), tool_version="0.1.0")
    elixir_project.check({"sbdate.ex": rendered.source})
    arities = {s.name: s.arities for s in rendered.symbols}
    assert arities["date"] == (1, 2, 3, 4) and arities["only"] == (2, 3)
    # one def per variant: the arities share its body through default arguments
    assert rendered.source.count("  def date(") == 1
    assert "        month \\\\ :__python_default__,\n        day \\\\ :__python_default__," in (
        rendered.source
    )
    result = elixir_project.evaluate(
        """
        %{
          exported: Enum.sort(Sbdate.__info__(:functions)),
          cache: Enum.sort(Sbdate.Cache.__info__(:functions)),
          missing: Sbdate.date(2024, month: 1),
          not_keywords: Sbdate.date(2024),
          bogus: Sbdate.date(year: 2024, month: 1, day: 2, bogus: 1),
          twice: Sbdate.power(2, 3, exp: 3),
          doc: Sbdate.doc(:date),
          specs: Enum.map(elem(Code.Typespec.fetch_specs(Sbdate), 1), &elem(&1, 0))
        }
        """
    )
    assert isinstance(result, dict)
    exported = {f"{n}/{a}" for n, a in result["exported"]}
    assert {"date/1", "date/2", "date/3", "date/4", "date!/1", "power/2", "power/4"} <= exported
    assert "power/1" not in exported and "only/1" not in exported
    cache = {f"{n}/{a}" for n, a in result["cache"]}
    assert {"new/1", "new/2", "new/3", "put/2", "put/4"} <= cache and "put/1" not in cache
    # `opts` left out and too few positionals: the keyword list must name the rest
    for key in ("missing", "not_keywords"):
        assert result[key][0] == "error"
    assert "missing required argument(s) day: for sbdate.date" in result["missing"][1]["message"]
    assert "year:, month:, day:" in result["not_keywords"][1]["message"]
    assert "unknown keyword argument(s) bogus:" in result["bogus"][1]["message"]
    assert "exp: given both positionally and as a keyword" in result["twice"][1]["message"]
    assert "By name in `opts` too, any trailing run: `year`, `month`, `day`." in result["doc"]
    # specs at the full arity of each variant
    assert ("date", 4) in result["specs"] and ("date!", 4) in result["specs"]
