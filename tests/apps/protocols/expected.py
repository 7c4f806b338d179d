import collections
import datetime
import decimal
import fractions
import importlib
import sys
import time
import zoneinfo
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sympy
from scipy import stats

from snakebridge.etf import Atom
from snakebridge.runtime.errors import qualified_name

# the app's own module, as its workers see it (python_path: ["priv/python"])
sys.path.insert(0, str(Path(__file__).resolve().parent / "priv" / "python"))
pricing = importlib.import_module("pricing")

arr = np.arange(12).reshape((3, 4))
df = pd.DataFrame({"city": ["Oslo", "Lima", "Pune"], "age": [25, 40, 35]})
x = sympy.Symbol("x")
a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 9.0]


def singular():
    try:
        return np.linalg.inv([[1.0, 2.0], [2.0, 4.0]])
    except np.linalg.LinAlgError as e:
        return (Atom("rescued"), qualified_name(type(e)), str(e))


def negative_amount() -> object:
    try:
        return pricing.with_tax(-1.0)
    except ValueError as e:
        return (Atom("rescued"), qualified_name(type(e)), str(e))


def rescued(fun: Any) -> object:
    try:
        return fun()
    except (IndexError, KeyError) as e:
        return (Atom("rescued"), qualified_name(type(e)))


def _exception_family() -> object:
    """What each call raises, as the struct the Elixir side rescues: the app generates
    Numpy.Linalg.LinAlgError (it names it); AxisError and PolynomialError have no module,
    so they are SnakeBridge.ValueError and SnakeBridge.Error."""
    caught: list[object] = []
    for call, base, module in [
        (lambda: np.linalg.inv([[1.0, 2.0], [2.0, 4.0]]), ValueError, "Numpy.Linalg.LinAlgError"),
        (lambda: np.sum([1, 2], axis=5), ValueError, "SnakeBridge.ValueError"),
        (
            lambda: sympy.Poly(sympy.sympify("1/x"), x),
            sympy.polys.polyerrors.BasePolynomialError,
            "SnakeBridge.Error",
        ),
    ]:
        try:
            call()
        except base as e:
            caught.append((Atom("caught"), module, isinstance(e, IndexError)))
    axis_error = qualified_name(np.exceptions.AxisError)
    return (*caught, (Atom("other"), "Numpy.Linalg.LinAlgError"), (Atom("value_error"), axis_error))


def _exception_family_by_rescue() -> object:
    """``except ValueError`` (rescue by SnakeBridge.Error.family(SnakeBridge.ValueError)),
    then ``except Exception`` (family(SnakeBridge.Error)) for PolynomialError, each as the
    struct the Elixir side reports: the app generates only Numpy.Linalg.LinAlgError."""
    structs = {
        np.linalg.LinAlgError: "Numpy.Linalg.LinAlgError",
        np.exceptions.AxisError: "SnakeBridge.ValueError",
        sympy.polys.polyerrors.PolynomialError: "SnakeBridge.Error",
    }
    calls = [
        lambda: np.linalg.inv([[1.0, 2.0], [2.0, 4.0]]),
        lambda: np.sum([1, 2], axis=5),
        lambda: sympy.Poly(sympy.sympify("1/x"), x),
    ]
    out: list[object] = []
    for base, call in [*((ValueError, c) for c in calls), (Exception, calls[2])]:
        try:
            call()
        except Exception as e:
            kind = "caught" if isinstance(e, base) else "other"
            out.append((Atom(kind), structs[type(e)]))
    return tuple(out)


def _pop() -> object:
    od = collections.OrderedDict(a=1, b=2)
    return od.pop("a"), dict(od)


def _put() -> object:
    a = np.zeros(3)
    a[1] = 5.0
    a[2] += 1
    return a.tolist()


def _zoned() -> object:
    d = datetime.datetime(2024, 7, 1, 12, tzinfo=zoneinfo.ZoneInfo("Europe/Oslo"))
    return (d.isoformat(), "Europe/Oslo", d.tzname(), d.isoformat(), d.tzname())


CASES = {
    "numpy_row": lambda: arr[1].tolist(),
    "numpy_slice": lambda: arr[0:2, ::2].tolist(),
    "numpy_ellipsis": lambda: arr[..., -1].tolist(),
    "numpy_mask": lambda: arr[arr > 6].tolist(),
    "numpy_mask_and": lambda: arr[(arr % 2 == 0) & (arr > 2)].tolist(),
    "numpy_arith": lambda: (arr * 2 + 1).tolist()[0],
    "pandas_column": lambda: df["city"].tolist(),
    "pandas_filter": lambda: df[df["age"] > 30]["city"].tolist(),
    "pandas_column_math": lambda: (df["age"] + 1).tolist(),
    "pandas_len": lambda: len(df),
    "sympy_ops": lambda: str(x**2 + 2 * x + 1),
    "sympy_expand": lambda: str(sympy.expand((x + 1) ** 3)),
    "sympy_eq": lambda: (x + 1) == (1 + x),
    "kernel_untouched": lambda: (1 + 2, 7 / 2, 2**10, 3 == 3.0),
    "counter_most_common": lambda: collections.Counter("abracadabra").most_common(2),
    "counter_item": lambda: collections.Counter("abracadabra")["a"],
    "ttest_pvalue": lambda: stats.ttest_ind(a, b).pvalue,
    "ttest_fields": lambda: (stats.ttest_ind(a, b).statistic, stats.ttest_ind(a, b).df),
    "datetime_naive": lambda: datetime.datetime(2024, 1, 2, 3, 4, 5, 6).isoformat(),
    "datetime_aware": lambda: datetime.datetime.fromisoformat(
        "2024-01-02T03:04:05+02:00"
    ).isoformat(),
    "date": lambda: datetime.date(2024, 2, 29).isoformat(),
    "elixir_date_in": lambda: datetime.date(2024, 2, 29).isoformat(),
    "elixir_datetime_in": lambda: datetime.datetime(
        2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.UTC
    ).isoformat(),
    "elixir_naive_weekday": lambda: datetime.datetime(2024, 1, 2, 3, 4, 5).weekday(),
    "linalg_error": singular,
    "py_time": lambda: isinstance(time.monotonic(), float),
    "local_function": lambda: (
        pricing.with_tax(100.0),
        pricing.with_tax(100.0, 0.1),
        pricing.with_tax(99.99, places=0),
    ),
    "local_class": lambda: (
        pricing.Item("pen", 1.5, 4).total(),
        pricing.subtotal([pricing.Item("pen", 1.5, 4), pricing.Item("pad", 3.0)]),
    ),
    "local_error": negative_amount,
    "access_missing": lambda: (None, None, collections.Counter("ab")["zz"]),
    "access_bang": lambda: (rescued(lambda: arr[99]), rescued(lambda: df["nope"])),
    "pop_in": lambda: _pop(),
    "put_in": lambda: _put(),
    "range_index": lambda: (
        arr[0, 1:3].tolist(),
        np.arange(10)[-3:].tolist(),
        np.arange(10)[0:9:3].tolist(),
    ),
    "newaxis": lambda: (np.arange(3)[None, ...].shape, np.arange(3)[..., np.newaxis].shape),
    "reflected_ops": lambda: (
        (10 - arr).tolist()[0],
        (-arr).tolist()[0],
        (arr @ np.ones((4, 1))).tolist(),
        (~((arr > 8) | (arr < 2))).tolist()[0],
    ),
    "fraction_ops": lambda: (
        str(fractions.Fraction(1, 3) + fractions.Fraction(1, 6)),
        str(1 + fractions.Fraction(1, 3)),
    ),
    "defaultdict": lambda: collections.defaultdict(int)["missing"],
    "result_by_index": lambda: (
        stats.ttest_ind(a, b)[1] == stats.ttest_ind(a, b).pvalue,
        len(tuple(stats.ttest_ind(a, b))),
    ),
    "sets": lambda: (True, sorted(set([1, 2, 2])), sorted({3, 1})),
    "decimal_complex": lambda: (
        (Atom("Elixir.Decimal"), 1, 150, -2),
        repr(decimal.Decimal("1.50")),
        (Atom("Elixir.Complex"), 1.0, 2.0),
        abs(complex(3, 4)),
    ),
    "zoned_datetime": lambda: _zoned(),
    "function_values": lambda: (
        pd.DataFrame({"a": [1, 2], "b": [3, 4]}).apply(np.sum).tolist(),
        sorted(["b", "A", "c"], key=str.lower),
        sorted(["bb", "a", "ccc"], key=len),
    ),
    "function_identity": lambda: (
        repr(np.sum).startswith("<function sum at "),
        repr(str.lower),
        True,
    ),
    "exception_family": lambda: _exception_family(),
    "exception_family_by_rescue": lambda: _exception_family_by_rescue(),
}
