import numpy as np
import torch

t = torch.tensor([[1.0, -1.0], [1.0, 2.0]])


def _max_dim():
    values, indices = torch.max(t, dim=0)
    return values.tolist(), indices.tolist()


def _dlpack_shared():
    z = torch.zeros(3)
    view = torch.from_dlpack(z)
    view[1] = 5.0
    return z.tolist()


CASES = {
    "sum": lambda: torch.sum(t).item(),
    "sum_dim": lambda: torch.sum(t, dim=0).tolist(),
    "sum_dim_pos": lambda: torch.sum(t, 1, keepdim=True).tolist(),
    "max_dim": _max_dim,
    "max": lambda: torch.max(t).item(),
    "zeros": lambda: torch.zeros(2, 3).tolist(),
    "ones": lambda: torch.ones(2).tolist(),
    "arange": lambda: torch.arange(5).tolist(),
    "arange_start": lambda: torch.arange(1, 4).tolist(),
    "matmul": lambda: torch.matmul(t, torch.tensor([[1.0], [0.0]])).tolist(),
    "cat": lambda: torch.cat((torch.ones(1), torch.zeros(1)), 0).tolist(),
    "reshape": lambda: t.reshape(4).tolist(),
    "mean_dim": lambda: torch.mean(t, dim=1).tolist(),
    "tensor_int": lambda: torch.tensor([[1, 2], [3, 4]]).tolist(),
    "argmax": lambda: torch.argmax(t).item(),
    "linspace": lambda: torch.linspace(0, 1, steps=5).tolist(),
    "eye": lambda: torch.eye(2).tolist(),
    "transpose": lambda: torch.transpose(t, 0, 1).tolist(),
    "abs": lambda: torch.abs(t).tolist(),
    "stack": lambda: torch.stack([torch.tensor([1, 2]), torch.tensor([3, 4])]).tolist(),
    "linear_weight": lambda: len(torch.nn.Linear(2, 3).weight.tolist()),
    "view": lambda: t.view(-1).tolist(),
    "where": lambda: torch.where(torch.gt(t, 0), t, 0.0).tolist(),
    "to_tensor": lambda: ("f", 32, [2, 2], list(t.numpy().tobytes())),
    "tensor_arg": lambda: torch.tensor(np.array([[1.5, 2.5]], dtype=np.float32)).tolist(),
    "dlpack_shared": _dlpack_shared,
}
