"""Python helpers of the cluster tests: which worker ran a call, after a while."""

import os
import time


def pid_after(seconds):
    time.sleep(seconds)
    return os.getpid()


def spin(n):
    """CPU-bound pure Python: n loop iterations (holds the GIL, as real work does)."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total
