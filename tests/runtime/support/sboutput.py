"""Output in every shape user code produces it (the output capture's tests)."""

import ctypes
import os
import subprocess
import sys
import threading

_threads: list[threading.Thread] = []


def mixed(tag):
    """Python print, a raw write(2), C printf and a partial line, in this order."""
    print(f"{tag} print")
    os.write(1, f"{tag} raw\n".encode())
    ctypes.CDLL(None).printf(b"%s printf\n", tag.encode())
    print(f"{tag} partial", end="")
    return tag


def child(text):
    """A child process inheriting fd 1."""
    subprocess.run([sys.executable, "-c", f"print({text!r})"], check=True)
    return True


def big(size):
    sys.stdout.write("y" * size + "\n")
    return size


def nul_first(text):
    os.write(1, b"\x00" + text.encode() + b"\n")
    return True


def background(count):
    """A thread that writes `count` numbered lines with raw writes while calls go on."""

    def run():
        for i in range(count):
            os.write(1, f"line {i}\n".encode())

    thread = threading.Thread(target=run)
    thread.start()
    _threads.append(thread)
    return True


def join():
    while _threads:
        _threads.pop().join()
    return True
