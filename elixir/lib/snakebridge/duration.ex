defmodule SnakeBridge.Duration do
  @moduledoc """
  A Python `datetime.timedelta`, as a whole number of microseconds (Elixir 1.14 has no
  duration type, and this is the unit `DateTime.add/3` takes):

      DateTime.add(now, duration.microseconds, :microsecond)

  Built from Elixir with `new/2` (`SnakeBridge.Duration.new(90, :second)`), it arrives
  in Python as a `timedelta`. Python's range is about ±2.7 million years; beyond it a call
  fails with `:bad_argument`.
  """
  defstruct microseconds: 0

  @type t :: %__MODULE__{microseconds: integer}

  @doc "A duration of `amount` `unit`s (any `System.time_unit`, or `:minute`, `:hour`, `:day`)."
  @spec new(integer, System.time_unit() | :minute | :hour | :day) :: t
  def new(amount, unit \\ :microsecond) when is_integer(amount) do
    microseconds =
      case unit do
        :minute -> amount * 60_000_000
        :hour -> amount * 3_600_000_000
        :day -> amount * 86_400_000_000
        unit -> System.convert_time_unit(amount, unit, :microsecond)
      end

    %__MODULE__{microseconds: microseconds}
  end
end
