defmodule SnakeBridge.Splat do
  @moduledoc """
  Python's `*items` in a call: built by `SnakeBridge.splat/1` and given as the last
  positional argument, it stands for each of its items as one more positional argument.

  Why it exists: a generated binding for a function with `*args` has a fixed number of
  arities (the docs of each binding say how many extra positionals it takes directly),
  and Elixir has no `apply` for "the rest of the arguments". With a splat no Python call
  is out of reach because of that cap:

      Sympy.diff(f, x, SnakeBridge.splat([x, y, y]))       # diff(f, x, *[x, y, y])
      Itertools.chain(SnakeBridge.splat(lists))            # chain(*lists)

  Keyword arguments still follow it as the trailing keyword list. Its items are always
  positional, so a splat is also how to pass a keyword list as the last positional
  value (`f(SnakeBridge.splat([[a: 1]]))`). Anywhere but last it is refused before the
  call, as is a splat into a function that takes no further positionals (its arity
  check names the count).
  """
  @enforce_keys [:items]
  defstruct [:items]

  @type t :: %__MODULE__{items: list}
end
