"""The model decoder is built safely when several libraries decode at once."""

from __future__ import annotations

import sys
import threading

from snakebridge.codegen import model


def test_decoders_built_concurrently_are_complete() -> None:
    function = model.Function("f", "f", "lib", "function", model.Signature(params=()))
    library = model.Library(
        name="lib",
        version="1.0",
        python_module="lib",
        elixir_module="Lib",
        root=model.Module("lib", functions=(function,)),
    )
    data = model.to_data(library)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often enough to hit a half-built decoder
    try:
        for _ in range(50):
            _decode_at_once(data, library)
    finally:
        sys.setswitchinterval(interval)


def _decode_at_once(data: object, library: model.Library) -> None:
    model._DECODERS.clear()
    start = threading.Barrier(8)
    results: list[object] = []

    def decode() -> None:
        start.wait()
        try:
            results.append(model.from_data(model.Library, data))
        except Exception as exc:  # a half-built decoder raises KeyError
            results.append(exc)

    threads = [threading.Thread(target=decode) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [library] * 8
