"""The baseline: a Python process that echoes ``{:packet, 4}`` frames unchanged.

No decoding, no dispatch: the floor any port-based bridge pays per round trip.
``--pipe-bytes N`` first sets its stdin and stdout pipes to N bytes (F_SETPIPE_SZ), the
capacity the worker gives its protocol pipes, so bulk transfers compare like with like.
"""

import fcntl
import os
import sys


def main() -> None:
    if sys.argv[1:2] == ["--pipe-bytes"]:
        for fd in (0, 1):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, int(sys.argv[2]))
    reader = sys.stdin.buffer
    out = sys.stdout.fileno()
    while True:
        header = reader.read(4)
        if len(header) < 4:
            return
        size = int.from_bytes(header, "big")
        data = reader.read(size)
        view = memoryview(header + data) if size < 65536 else None
        if view is None:
            os.write(out, header)
            view = memoryview(data)
        while view:
            view = view[os.write(out, view) :]


if __name__ == "__main__":
    main()
