import numpy as np
from numpy.polynomial import Polynomial, chebyshev
from numpy.polynomial import polynomial as P

a = [[1, 2], [3, 4]]
m = np.array([[1, 2], [3, 4]])


CASES = {
    "where": lambda: np.where([[True, False], [True, True]], [[1, 2], [3, 4]], [[9, 8], [7, 6]]),
    "mean_axis_kw": lambda: np.mean(a, axis=0).tolist(),
    "mean_axis_pos": lambda: np.mean(a, 0).tolist(),
    "mean": lambda: np.mean(a),
    "sum_axis": lambda: np.sum([[0, 1], [0, 5]], axis=1).tolist(),
    "arange_stop": lambda: np.arange(3).tolist(),
    "arange_start_stop": lambda: np.arange(3, 7).tolist(),
    "arange_step": lambda: np.arange(3, 7, 2).tolist(),
    "linspace": lambda: np.linspace(2.0, 3.0, num=5).tolist(),
    "linspace_by_keyword": lambda: np.linspace(start=2.0, stop=3.0, num=5).tolist(),
    "default_rng": lambda: np.random.default_rng(42).integers(0, 10, 3).tolist(),
    "float64": lambda: np.float64(2.5),
    "zeros": lambda: np.zeros((2, 3)).tolist(),
    "ones_dtype": lambda: np.ones(3, dtype="int64").tolist(),
    "zeros_dtype_class": lambda: np.zeros(3, dtype=np.float32).dtype.name,
    "concatenate": lambda: np.concatenate(([[1, 2]], [[5, 6]]), axis=0).tolist(),
    "clip": lambda: np.clip(list(range(10)), 1, 8).tolist(),
    "round": lambda: np.round(2.675, 2),
    "add": lambda: np.add(1.0, 4.0),
    "reshape": lambda: np.arange(6).reshape(3, 2).tolist(),
    "norm": lambda: np.linalg.norm([3.0, 4.0]),
    "broadcast_shapes_splat": lambda: np.broadcast_shapes(*[(6, 1)] + [(1, 7)] * 10),
    "solve": lambda: np.linalg.solve([[3, 1], [1, 2]], [9, 8]).tolist(),
    "rng_integers": lambda: np.random.default_rng(42).integers(0, 10, size=3).shape,
    "histogram": lambda: tuple(a.tolist() for a in np.histogram([1, 2, 1], bins=[0, 1, 2, 3])),
    "iinfo": lambda: np.iinfo(np.int32).max,
    "array_dtype_class": lambda: np.array([1, 2], dtype=np.int8).dtype.name,
    "einsum": lambda: np.einsum("ii", np.arange(9).reshape(3, 3)),
    "np_T": lambda: m.T.tolist(),
    "np_dot": lambda: np.dot(m, m).tolist(),
    "np_matmul": lambda: np.matmul(m, [1, 1]).tolist(),
    "np_cumsum_axis": lambda: np.cumsum(m, axis=0).tolist(),
    "np_argmax": lambda: np.argmax([3, 9, 2]),
    "np_argsort": lambda: np.argsort([3, 1, 2]).tolist(),
    "np_unique": lambda: np.unique([1, 1, 2, 2, 3, 3]).tolist(),
    "np_unique_counts": lambda: tuple(
        v.tolist() for v in np.unique([1, 1, 2, 3, 3, 3], return_counts=True)
    ),
    "np_eye": lambda: np.eye(2).tolist(),
    "np_full": lambda: np.full((2, 2), 7).tolist(),
    "np_percentile": lambda: np.percentile([1, 2, 3, 4], 50),
    "np_median": lambda: np.median([3, 1, 2]),
    "np_std_ddof": lambda: np.std([1, 2, 3, 4], ddof=1),
    "np_vstack": lambda: np.vstack([[1, 2], [3, 4]]).tolist(),
    "np_hstack": lambda: np.hstack(([1, 2], [3])).tolist(),
    "np_stack_axis": lambda: np.stack([[1, 2], [3, 4]], axis=1).tolist(),
    "np_isclose": lambda: np.isclose(1.0, 1.0 + 1.0e-10),
    "np_allclose": lambda: np.allclose([1.0, 2.0], [1.0, 2.0000001]),
    "np_meshgrid": lambda: [m.tolist() for m in np.meshgrid([1, 2], [3, 4])],
    "np_polyfit": lambda: np.round(np.polyfit([0, 1, 2], [1, 3, 5], 1), 6).tolist(),
    "np_polyval": lambda: np.polyval([3, 0, 1], 5),
    "np_nanmean": lambda: np.nanmean([1, np.nan, 3]),
    "np_logspace": lambda: np.logspace(0, 2, 3).tolist(),
    "np_tile": lambda: np.tile([0, 1], 2).tolist(),
    "np_repeat": lambda: np.repeat([1, 2], 2).tolist(),
    "np_fromfunction": lambda: np.fromfunction(
        lambda i, j: np.add(i, j), (2, 2), dtype=np.int64
    ).tolist(),
    "np_sum_method": lambda: m.sum(axis=1).tolist(),
    "np_reshape_method": lambda: np.arange(6).reshape(2, 3).tolist(),
    "np_astype": lambda: m.astype(np.float64).tolist(),
    "np_astype_str": lambda: m.astype("float32").tolist(),
    "np_max_method": lambda: m.max(),
    "np_fft": lambda: np.fft.fft([1, 0, 0, 0]).real.tolist(),
    "np_linalg_det": lambda: round(float(np.linalg.det(m)), 6),
    "np_linalg_eigvals": lambda: np.linalg.eigvals([[2, 0], [0, 3]]).tolist(),
    "np_shape_attr": lambda: np.zeros((2, 3)).shape,
    "np_where_one": lambda: [v.tolist() for v in np.where(np.greater(np.array([0, 1, 2]), 0))],
    "np_poly_call": lambda: Polynomial([1, 2, 3])(2),
    "np_poly_polyval": lambda: P.polyval(2, [1, 2, 3]),
    "np_chebval": lambda: chebyshev.chebval(1, [1, 2, 3]),
    "np_poly_fit": lambda: [
        round(c, 9) for c in Polynomial.fit([0, 1, 2], [1, 3, 5], 1).convert().coef.tolist()
    ],
}
