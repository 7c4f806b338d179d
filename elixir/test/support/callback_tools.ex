defmodule SnakeBridge.TestTools do
  @moduledoc "Functions runtime tests register for `snakebridge.call_elixir` from Python."

  def double(x), do: x * 2
  def lookup(key), do: Process.get({:tool, key})
  def lookup(key, default), do: Process.get({:tool, key}, default)
  def fail(message), do: raise(ArgumentError, message)
  def probe(value), do: send(:snakebridge_cast_probe, {:cast, value, self()})
  def nested(x), do: SnakeBridge.call!("numpy", "sum", [[x, x]])
end

defmodule SnakeBridge.TestTools.Partial do
  @moduledoc "Only some functions of this module are registered."

  def allowed(x), do: x + 1
  def secret(x), do: x - 1
end
