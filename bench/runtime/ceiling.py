"""The host's own ceiling for the CPU-bound throughput row: the same PBKDF2 work in one
and in two plain Python processes, with no bridge at all. Prints "one two" (calls/s).

On a shared host the second core is often partly taken, so the bridge's 1 → 2 worker
ratio is read against this ratio, measured in the same run.
"""

import hashlib
import multiprocessing
import sys
import time


def work(n: int) -> None:
    for _ in range(n):
        hashlib.pbkdf2_hmac("sha256", b"password", b"salt", 2000)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1600
    start = time.perf_counter()
    work(n)
    one = n / (time.perf_counter() - start)
    start = time.perf_counter()
    procs = [multiprocessing.Process(target=work, args=(n // 2,)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    two = n / (time.perf_counter() - start)
    print(f"{one:.1f} {two:.1f}")


if __name__ == "__main__":
    main()
