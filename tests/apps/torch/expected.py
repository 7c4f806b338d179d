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


def _seed_rand():
    torch.manual_seed(0)
    return torch.rand(2).tolist()


def _no_grad():
    with torch.no_grad():
        return torch.is_grad_enabled()


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
    "t_zeros_dtype": lambda: str(torch.zeros(2, dtype=torch.float64).dtype),
    "t_T": lambda: t.T.tolist(),
    "t_t": lambda: t.t().tolist(),
    "t_relu": lambda: torch.nn.functional.relu(t).tolist(),
    "t_softmax": lambda: torch.softmax(torch.tensor([0.0, 0.0]), dim=0).tolist(),
    "t_topk": lambda: torch.topk(torch.tensor([1.0, 3.0, 2.0]), 2).indices.tolist(),
    "t_sort_desc": lambda: torch.sort(
        torch.tensor([1.0, 3.0, 2.0]), descending=True
    ).values.tolist(),
    "t_clamp": lambda: torch.clamp(t, min=0).tolist(),
    "t_flatten": lambda: torch.flatten(t).tolist(),
    "t_unsqueeze_shape": lambda: tuple(t.unsqueeze(0).shape),
    "t_size": lambda: tuple(t.size()),
    "t_allclose": lambda: torch.allclose(t, t),
    "t_einsum": lambda: torch.einsum("ii", t).item(),
    "t_seed_rand": _seed_rand,
    "t_linear": lambda: tuple(torch.nn.Linear(3, 2).weight.shape),
    "t_no_grad": _no_grad,
    "t_ops": lambda: (t * 2 + 1).tolist(),
    "t_argmax_dim": lambda: torch.argmax(t, dim=1).tolist(),
}
