import collections
import datetime
import importlib
import sys
import time
from pathlib import Path

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
}
