"""The Python side of bench/zerocopy/beam.exs: serves arrays to a BEAM over an Erlang port.

Frames are ``{:packet, 4}`` ETF terms, as between the pool and a worker. Requests:
``{:tensor, mb}`` answers ``%SnakeBridge.Tensor{}`` of a float64 array of ``mb`` MB
(written with ``writev`` straight from the array, as the worker writes replies);
``{:share, mb}`` answers the ``%SnakeBridge.ZeroCopyRef{}`` of the same array in shared
memory (placed there once). At EOF the segments are removed.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from snakebridge import etf
from snakebridge.runtime.bulk.service import Bulk
from snakebridge.runtime.frames import FrameIO


def main() -> None:
    os.sched_setaffinity(0, {int(sys.argv[1])})
    frames = FrameIO(0, 1)
    encode = etf.make_parts_encoder()
    bulk = Bulk("bench:beam")
    rng = np.random.default_rng(0)
    arrays: dict[int, np.ndarray] = {}
    handles: dict[int, dict[object, object]] = {}
    try:
        while (frame := frames.read()) is not None:
            command, mb = etf.decode(frame)
            array = arrays.get(mb)
            if array is None:
                array = arrays[mb] = rng.random(mb * (1 << 20) // 8)
            if command == "tensor":
                frames.write_parts(encode(bulk.to_tensor(array)))
            elif command == "share":
                if mb not in handles:
                    handles[mb] = bulk.share(array, "bench")
                frames.write_parts(encode(handles[mb]))
    finally:
        bulk.close()


if __name__ == "__main__":
    main()
