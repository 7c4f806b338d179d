"""A stand-in worker for shared-memory lifetime tests: a real process, driven by lines.

``python shm_peer.py PREFIX`` prints ``ready <pid>``, then answers each line on stdin:

- ``share N``: put ``arange(N)`` (float64) in shared memory; prints ``handle <hex ETF>``;
- ``attach <hex ETF>``: map the handle's array; prints ``sum <value>`` or ``error <kind> <msg>``;
- ``release <hex ETF>``: release a handle it owns; prints ``released <bool>``.

At EOF it closes its segments, as the worker does when its port closes. Handles travel
as the real wire terms (``%SnakeBridge.ZeroCopyRef{}`` in ETF).
"""

from __future__ import annotations

import os
import sys

import numpy as np

from snakebridge import etf
from snakebridge.runtime.bulk.errors import BulkError
from snakebridge.runtime.bulk.service import Bulk


def main() -> None:
    prefix = sys.argv[1]
    bulk = Bulk(f"peer:{prefix}", prefix=prefix)
    print("ready", os.getpid(), flush=True)
    keep: list[object] = []
    try:
        for line in sys.stdin:
            command, _, arg = line.strip().partition(" ")
            if command == "share":
                term = bulk.share(np.arange(int(arg), dtype=np.float64), "s1")
                print("handle", etf.encode(term).hex(), flush=True)
            elif command == "attach":
                try:
                    array = bulk.struct_in(etf.decode(bytes.fromhex(arg)), "s1")
                    keep.append(array)
                    print("sum", float(array.sum()), flush=True)
                except BulkError as exc:
                    print("error", exc.kind, str(exc).replace("\n", " "), flush=True)
            elif command == "release":
                handle = etf.decode(bytes.fromhex(arg))
                print("released", bulk.release(handle), flush=True)
    finally:
        bulk.close()


if __name__ == "__main__":
    main()
