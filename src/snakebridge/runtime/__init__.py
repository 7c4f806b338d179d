"""The Python side of the SnakeBridge runtime: one worker process per pool slot.

``python -m snakebridge.runtime.worker`` speaks ``{:packet, 4}`` ETF frames with its
Elixir pool (see ``docs/internals.md``). Modules, one job each:

- ``worker``    entry point: file descriptors, the request loop, shutdown
- ``frames``    framing on the protocol file descriptors
- ``output``    user stdout/stderr (including C writes to fd 1/2) captured as log frames
- ``allowlist`` which modules and attributes a call may touch
- ``store``     session-scoped ref store
- ``values``    Python values <-> wire terms (refs, bytes, numpy fast path)
- ``errors``    exceptions -> structured error maps
- ``dispatch``  executes one request

The worker imports only the standard library at start; numpy is imported only when
an allowlisted library is numeric and numpy itself is allowlisted.
"""
