"""The worker's allowlist against every generated binding, run in the apps' Python.

``python allowlist_check.py <generated dir>`` reads every call descriptor of the
generated modules (``call_type``, ``library``, ``python_module``, ``function``), and
resolves each one with the worker's own ``Allowlist`` (what a call does before it runs
anything). Prints one JSON line: the descriptors checked and the refusals. The
generator and the worker share one rule, so there must be none.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from snakebridge.runtime.allowlist import Allowlist, NotAllowed

DESCRIPTOR = re.compile(
    r'call_type: :(\w+),\s+library: "([^"]*)",\s+python_module: "([^"]*)",\s+'
    r'function: "([^"]*)"'
)


def main(generated: Path) -> None:
    found = sorted(
        {
            m.groups()
            for f in sorted(generated.glob("*.ex"))
            for m in DESCRIPTOR.finditer(f.read_text())
        }
    )
    roots = {library: module.split(".")[0] for _, library, module, _ in found}
    allowlist = Allowlist(roots)
    refused = []
    for call_type, library, module, function in found:
        try:
            allowlist.resolve(library, module, function)
        except NotAllowed as exc:
            refused.append(f"{call_type} {module}.{function}: {exc}")
        except Exception:  # not an allowlist question (signatures.py checks the rest)
            pass
    print(json.dumps({"checked": len(found), "refused": refused}))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
