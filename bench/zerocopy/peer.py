"""The receiving process of bench/zerocopy/run.py ("worker B", or the reply's reader).

Frames on stdin: 4-byte big-endian length, one kind byte, payload. Each is answered with
8 bytes on stdout once the payload has been fully received and used: the seconds the
peer spent using it (after the last byte arrived), as a big-endian double:

- ``d``: drain (read the bytes, as a port reads a reply frame);
- ``h``: an ETF ``%SnakeBridge.ZeroCopyRef{}``: map the array and read its last element;
- ``p``: a pickled array (the pipe-copy baseline): unpickle it and read its last element;
- ``q``: quit.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
import time

from snakebridge import etf
from snakebridge.runtime.bulk.service import Bulk


def main() -> None:
    if len(sys.argv) > 1:
        os.sched_setaffinity(0, {int(sys.argv[1])})
    stdin = open(0, "rb", buffering=0, closefd=False)  # noqa: SIM115 - lives with the process
    buffer = bytearray(256 << 20)
    view = memoryview(buffer)
    bulk = Bulk("bench:peer")
    while True:
        header = stdin.read(5)
        if header is None or len(header) < 5:
            return
        size, kind = struct.unpack(">IB", header)
        got = 0
        while got < size:
            got += stdin.readinto(view[got:size]) or 0
        if kind == ord("q"):
            return
        start = time.perf_counter()
        if kind == ord("h"):
            array = bulk.struct_in(etf.decode(bytes(view[:size])), "bench")
            float(array[-1])
            del array  # unmapped now, so no later row pays for it
        elif kind == ord("p"):
            array = pickle.loads(view[:size])
            float(array[-1])
            del array  # freed now: the copy's cost stays in this row
        os.write(1, struct.pack(">d", time.perf_counter() - start))


if __name__ == "__main__":
    main()
