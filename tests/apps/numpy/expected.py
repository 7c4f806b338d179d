import numpy as np

a = [[1, 2], [3, 4]]
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
}
