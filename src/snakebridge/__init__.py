"""SnakeBridge: generated Elixir bindings for Python libraries, and their Python worker.

Layout (one obvious place per concern):

- ``etf``      Erlang External Term Format codec, shared by the CLI port and the worker.
- ``port``     the CLI side of the Elixir <-> Python port protocol (one request, one reply).
- ``codegen``  introspection (``introspect``), the type/doc model (``model``), rendering (``emit``).
- ``state``    manifest, lock, ledger, backups: every JSON file the project owns.
- ``runtime``  the worker process that executes calls for the Elixir pool.
- ``cli``      ``snakebridge <task>``: generate, verify, repair, analyze, prune, ledger, ...

Inside a worker, Python code that Elixir called can call back:
``snakebridge.call_elixir("MyApp.Tools", "lookup", *args)`` and ``cast_elixir`` (see
``runtime.callbacks``; only functions registered under ``callbacks:`` in mix.exs).
"""

from typing import Any

__version__ = "0.1.0"

_CALLBACK_NAMES = frozenset(
    {"call_elixir", "cast_elixir", "ElixirError", "CallbackExpired", "CallbackNotAllowed"}
)


def __getattr__(name: str) -> Any:
    # Lazy: the CLI imports this package and needs none of the runtime.
    if name in _CALLBACK_NAMES:
        from snakebridge.runtime import callbacks

        return getattr(callbacks, name)
    raise AttributeError(f"module 'snakebridge' has no attribute {name!r}")
