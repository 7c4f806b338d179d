"""Python side of the callbacks benchmark (declared as the library ``cbbench``)."""

import itertools
import time


def time_calls(f, n):
    """Wall time of each of ``n`` calls of ``f(1.0)``, in µs: callback round trips as
    the Python code that makes them sees them."""
    out = []
    clock = time.perf_counter
    for _ in range(n):
        t0 = clock()
        f(1.0)
        out.append((clock() - t0) * 1e6)
    return out


def rosen(x):
    """The N-dimensional Rosenbrock function, the same arithmetic as the Elixir objective."""
    xs = x.tolist()
    return sum(100 * (b - a * a) ** 2 + (1 - a) ** 2 for a, b in itertools.pairwise(xs))


def square(x):
    return x * x


def timed_minimize(f, x0):
    """``minimize(f, x0, method="BFGS")`` timing each evaluation of ``f`` from inside:
    where the wall time goes (µs)."""
    from scipy.optimize import minimize

    times = []
    clock = time.perf_counter

    def timed(x):
        t0 = clock()
        value = f(x)
        times.append((clock() - t0) * 1e6)
        return value

    t0 = clock()
    minimize(timed, x0, method="BFGS")
    total = (clock() - t0) * 1e6
    times.sort()
    n = len(times)
    return {
        "n": n,
        "p50": times[n // 2],
        "p90": times[int(n * 0.9)],
        "p99": times[int(n * 0.99)],
        "mean": sum(times) / n,
        "total": total,
    }
