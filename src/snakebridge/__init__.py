"""SnakeBridge: generated Elixir bindings for Python libraries, and their Python worker.

Layout (one obvious place per concern):

- ``etf``      Erlang External Term Format codec, shared by the CLI port and the worker.
- ``port``     the CLI side of the Elixir <-> Python port protocol (one request, one reply).
- ``codegen``  introspection (``introspect``), the type/doc model (``model``), rendering (``emit``).
- ``state``    manifest, lock, ledger, backups: every JSON file the project owns.
- ``runtime``  the worker process that executes calls for the Elixir pool.
- ``cli``      ``snakebridge <task>``: generate, verify, repair, analyze, prune, ledger, ...
"""

__version__ = "0.1.0"
