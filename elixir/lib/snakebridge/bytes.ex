defmodule SnakeBridge.Bytes do
  @moduledoc """
  Explicit Python `bytes`. Elixir strings and Python bytes are both binaries, so the
  bridge needs to be told: `SnakeBridge.bytes(bin)` crosses as `bytes`, a plain binary
  crosses as `str` (when it is valid UTF-8). Python `bytes` come back as this struct.

  With `dtype` (`"float64"`, `"int32"`, ... any numpy dtype string) and optionally
  `shape`, the binary becomes a numpy array in the worker without per-element
  conversion: the fast path for large numeric buffers
  (`SnakeBridge.bytes(<<...>>, dtype: "float64", shape: {1000, 3})`).
  """
  defstruct data: <<>>, dtype: nil, shape: nil

  @type t :: %__MODULE__{data: binary, dtype: String.t() | nil, shape: tuple | nil}
end
