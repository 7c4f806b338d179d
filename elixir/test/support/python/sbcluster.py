"""Python helpers of the cluster tests: which worker ran a call, after a while."""

import os
import time


def pid_after(seconds):
    time.sleep(seconds)
    return os.getpid()
