"""numpy <-> torch through DLPack, with real torch: one buffer, seen from both sides."""

from __future__ import annotations

import numpy as np
import pytest
import torch  # a missing torch fails this module: make setup installs torch==2.13.0

from snakebridge.runtime.bulk import dlpack
from snakebridge.runtime.bulk.errors import BulkError
from snakebridge.runtime.bulk.tensors import pack, view

DTYPES = [
    (np.bool_, torch.bool),
    (np.int8, torch.int8),
    (np.int16, torch.int16),
    (np.int32, torch.int32),
    (np.int64, torch.int64),
    (np.uint8, torch.uint8),
    (np.float16, torch.float16),
    (np.float32, torch.float32),
    (np.float64, torch.float64),
    (np.complex64, torch.complex64),
    (np.complex128, torch.complex128),
]


def test_torch_is_the_pinned_cpu_build() -> None:
    assert torch.__version__.split("+")[0] == "2.13.0"


@pytest.mark.parametrize(("np_dtype", "torch_dtype"), DTYPES)
def test_numpy_to_torch_shares_memory(np_dtype: type, torch_dtype: torch.dtype) -> None:
    arr = np.zeros((2, 3), dtype=np_dtype)
    tensor = dlpack.to_torch(arr)
    assert tensor.dtype == torch_dtype and tuple(tensor.shape) == (2, 3)
    tensor[1, 2] = 1
    assert arr[1, 2] == 1  # torch wrote, numpy sees it
    arr[0, 0] = 1
    assert bool(tensor[0, 0] == 1)  # and back
    assert tensor.data_ptr() == arr.ctypes.data


def test_torch_to_numpy_shares_memory() -> None:
    tensor = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    arr = dlpack.to_numpy(tensor)
    arr[0, 1] = 42.0
    assert float(tensor[0, 1]) == 42.0
    tensor[1, 0] = -1.0
    assert arr[1, 0] == -1.0
    strided = dlpack.to_numpy(tensor.t())  # strides travel with the export
    assert strided.shape == (3, 2) and strided[1, 0] == 42.0


def test_read_only_arrays_are_refused_with_the_fix() -> None:
    frame_view = view(b"\x00" * 16, ("f", 64), (2,))
    with pytest.raises(BulkError, match=r"read-only.*writable copy"):
        dlpack.to_torch(frame_view)
    assert dlpack.to_torch(view(b"\x00" * 16, ("f", 64), (2,), writable=True)).shape == (2,)


def test_non_dlpack_values_and_consumers_are_refused() -> None:
    with pytest.raises(BulkError, match="does not support DLPack"):
        dlpack.to_torch([1.0, 2.0])
    with pytest.raises(BulkError, match="'numpy', 'torch', not 'jax'"):
        dlpack.convert(np.zeros(1), "jax")


def test_handles_work_only_in_their_worker_and_session() -> None:
    mine = dlpack.DlpackExports("pool:0:aaaa")
    tensor = torch.ones(4, dtype=torch.float64)
    handle = mine.export(tensor, "s1")
    assert (handle.type, handle.shape, handle.owner) == (("f", 64), (4,), "pool:0:aaaa")
    arr = mine.resolve(handle, "s1")
    arr[0] = 5.0
    assert float(tensor[0]) == 5.0  # resolves to a numpy view of the same memory
    assert mine.resolve(handle, "s1", "torch") is not tensor  # a new tensor ...
    assert mine.resolve(handle, "s1", "torch").data_ptr() == tensor.data_ptr()  # ... same memory

    other = dlpack.DlpackExports("pool:1:bbbb")
    with pytest.raises(BulkError) as info:
        other.resolve(handle, "s1")
    assert info.value.kind == "ref_lost"
    message = str(info.value)
    assert "valid only inside the worker that made it (pool:0:aaaa)" in message
    assert "pool:1:bbbb" in message and "SnakeBridge.share/1" in message
    with pytest.raises(BulkError, match="belongs to session 's1'"):
        mine.resolve(handle, "s2")
    assert mine.release(handle.id) and not mine.release(handle.id)
    with pytest.raises(BulkError, match="was released"):
        mine.resolve(handle, "s1")
    mine.export(tensor, "s9")
    mine.export(np.zeros(2), "s9")
    assert mine.release_session("s9") == 2 and len(mine) == 0


@pytest.mark.parametrize(
    ("tensor", "said"),
    [
        (torch.ones(2, dtype=torch.bfloat16), "BFloat16"),
        (torch.ones(2, requires_grad=True), "requires grad"),
    ],
)
def test_torch_tensors_numpy_cannot_view_are_refused_with_the_fix(
    tensor: torch.Tensor, said: str
) -> None:
    with pytest.raises(BulkError) as info:
        pack(tensor)
    assert info.value.kind == "encode_error"
    message = str(info.value)
    assert said in message
    assert "detach().cpu()" in message and ".float()" in message
    # What the fix says works.
    assert pack(tensor.detach().cpu().float()).type == ("f", 32)
