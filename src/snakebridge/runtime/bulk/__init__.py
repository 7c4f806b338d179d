"""Bulk data: arrays and tables that cross as raw memory, never element by element.

- :mod:`.tensors`: numpy arrays (and anything with ``__array__`` or the buffer protocol)
  to and from Nx's binary layout (native byte order, C order, ``("f", 64)`` types);
- :mod:`.wire`: the ``%SnakeBridge.Tensor{}`` and ``%SnakeBridge.ZeroCopyRef{}`` terms;
- :mod:`.shm`: arrays and Arrow streams in POSIX shared memory, handed between workers
  by handle, with lifetimes that end with their session or their worker;
- :mod:`.arrow`: pandas, pyarrow and polars tables to and from Arrow IPC streams;
- :mod:`.dlpack`: numpy and torch sharing one buffer inside one worker.

Every module here is pure data handling: the worker imports it only for a bulk call,
so numpy, pyarrow, polars and torch stay unimported until a user asks for them.
"""

from snakebridge.etf import Atom
from snakebridge.runtime.bulk.errors import BulkError

# The struct modules, here so that the codec can recognize them without numpy.
TENSOR_STRUCT = Atom("Elixir.SnakeBridge.Tensor")
ZERO_COPY_STRUCT = Atom("Elixir.SnakeBridge.ZeroCopyRef")

__all__ = ["TENSOR_STRUCT", "ZERO_COPY_STRUCT", "BulkError"]
