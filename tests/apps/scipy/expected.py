from scipy import integrate, linalg, optimize, special, stats

cost = [[4, 1, 3], [2, 0, 5], [3, 2, 2]]


def _lsa():
    rows, cols = optimize.linear_sum_assignment(cost)
    return rows.tolist(), cols.tolist()


def _minimize_scalar():
    res = optimize.minimize_scalar(lambda x: (x - 2) * (x + 1) ** 2)
    return round(float(res.x), 6), bool(res.success)


CASES = {
    "linear_sum_assignment": _lsa,
    "linear_sum_assignment_max": lambda: optimize.linear_sum_assignment(cost, maximize=True)[
        1
    ].tolist(),
    "comb_exact": lambda: special.comb(10, 3, exact=True),
    "comb": lambda: special.comb(10, 3),
    "factorial": lambda: special.factorial(5, exact=True),
    "norm_cdf": lambda: stats.norm.cdf(0),
    "norm_ppf": lambda: stats.norm.ppf(0.975),
    "det": lambda: linalg.det([[1, 2], [3, 4]]),
    "inv": lambda: linalg.inv([[1.0, 2.0], [3.0, 4.0]]).tolist(),
    "trapezoid": lambda: integrate.trapezoid([1, 2, 3]),
    "trapezoid_x": lambda: integrate.trapezoid([1, 2, 3], x=[4, 6, 8]),
    "optimize_result": lambda: dict(optimize.OptimizeResult(x=1.5, success=True)),
    "optimize_result_attributes": lambda: (
        optimize.OptimizeResult(x=1.5, success=True).x,
        optimize.OptimizeResult(x=1.5, success=True).success,
    ),
    "minimize_scalar": lambda: _minimize_scalar(),
    "describe_mean": lambda: stats.describe([1, 2, 3, 4]).mean,
}
