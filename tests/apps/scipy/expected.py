import numpy as np
from scipy import (
    constants,
    integrate,
    interpolate,
    linalg,
    optimize,
    signal,
    sparse,
    special,
    stats,
)
from scipy.spatial import distance

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
    "sp_minimize_rosen": lambda: np.round(
        optimize.minimize(optimize.rosen, [1.3, 0.7, 0.8], method="Nelder-Mead", tol=1e-6).x, 3
    ).tolist(),
    "sp_brentq": lambda: round(optimize.brentq(lambda x: x * x - 2, 0, 2), 6),
    "sp_quad": lambda: round(integrate.quad(lambda x: x * x, 0, 1)[0], 9),
    "sp_cubic_spline": lambda: round(
        interpolate.CubicSpline([0, 1, 2], [0, 1, 8])(1.5).tolist(), 6
    ),
    "sp_linregress": lambda: stats.linregress([0, 1, 2], [1, 3, 5]).slope,
    "sp_pearsonr": lambda: round(float(stats.pearsonr([1, 2, 3], [2, 4, 7]).statistic), 6),
    "sp_gamma": lambda: special.gamma(5),
    "sp_expit": lambda: special.expit(0),
    "sp_erf": lambda: round(float(special.erf(0.5)), 9),
    "sp_csr": lambda: sparse.csr_matrix([[1, 0], [0, 2]]).toarray().tolist(),
    "sp_euclidean": lambda: distance.euclidean([0, 0], [3, 4]),
    "sp_cdist": lambda: distance.cdist([[0, 0]], [[3, 4], [6, 8]]).tolist(),
    "sp_convolve": lambda: signal.convolve([1, 2, 3], [0, 1, 0.5]).tolist(),
    "sp_constants_c": lambda: constants.c,
    "sp_norm_frozen": lambda: stats.norm(loc=1, scale=2).mean(),
    "sp_lu": lambda: len(linalg.lu([[1, 2], [3, 4]])),
}
