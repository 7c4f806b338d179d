defmodule SnakeBridge.Runtime.Retry do
  @moduledoc """
  How an idempotent call is retried after its worker crashed: the bound of the series
  and the backoff between its attempts.

    * `attempts:` executions in all, the first included (default 3). A function that
      crashes every worker it runs on then costs at most this many workers per call,
      and the default equals the circuit's default `crashes:` (3), so a poisonous
      idempotent call opens its circuit instead of retrying on into it.
    * `base:` and `max:` (ms, default 10 and 1_000): retry `n` waits a time drawn
      uniformly from 0 to `min(max, base * 2^(n - 1))` ("full jitter"). Callers whose
      calls crashed together spread out instead of all reaching the replacement worker
      at the same moment, and the wait grows while crashes go on.
    * The call's deadline bounds the series: a retry runs with what is left of the
      call's timeout, and none starts when its backoff alone would use that up.

  Set per pool (`retry: [attempts: 5]` among the pool's keys), per library and per
  function in mix.exs, and per call; each over the one before (`for_call/4`):

      # mix.exs
      libraries: [
        sympy: [version: "~> 1.13", idempotent: true,
                retry: [attempts: 5, max: 2_000, functions: [simplify: [attempts: 2]]]]
      ]

      Sympy.expand(expr, snakebridge: [retry: [attempts: 1]])   # this call only

  A function under `functions:` is named as in `idempotent:`: its name, its path
  under the library's module (`"linalg.solve"`) or its full Python path. Which calls
  are idempotent is the library's and function's `idempotent:` in mix.exs, or the
  call's `snakebridge: [idempotent: true]`.
  """

  defstruct attempts: 3, base: 10, max: 1_000

  @type t :: %__MODULE__{attempts: pos_integer, base: non_neg_integer, max: non_neg_integer}

  @typedoc "A library's `retry:` as `SnakeBridge.Config` normalizes it (values checked)."
  @type config :: %{bounds: keyword, functions: %{String.t() => keyword}}

  @keys [:attempts, :base, :max]

  @doc """
  `opts` (a keyword list of `attempts:`, `base:`, `max:`, or nil) over `policy`. Returns
  `{:ok, policy}` or `{:error, message}` naming what is wrong.
  """
  @spec policy(keyword | nil, t) :: {:ok, t} | {:error, String.t()}
  def policy(opts, policy \\ %__MODULE__{})
  def policy(nil, policy), do: {:ok, policy}

  def policy(opts, policy) when is_list(opts) do
    if Keyword.keyword?(opts) and Keyword.keys(opts) -- @keys == [] and valid?(opts),
      do: {:ok, struct(policy, opts)},
      else: invalid(opts)
  end

  def policy(opts, _policy), do: invalid(opts)

  defp valid?(opts) do
    Enum.all?(opts, fn
      {:attempts, n} -> is_integer(n) and n >= 1
      {_ms, n} -> is_integer(n) and n >= 0
    end)
  end

  defp invalid(opts) do
    {:error,
     "retry: must be a keyword list of attempts: (executions in all, >= 1), base: and " <>
       "max: (backoff ms, >= 0), e.g. [attempts: 3, base: 10, max: 1000]; got #{inspect(opts)}"}
  end

  @doc """
  The policy of one call (`call` has `:library`, `:python_module` and `:function`):
  `pool`'s (the pool's `retry:` over the defaults), under its library's `retry:` from
  the declaration (`libraries`, default this node's), under the function's entry in
  it, under the call's own `opts`. `opts` must be valid (`policy/2`).
  """
  @spec for_call(t, map, keyword | nil, map) :: t
  def for_call(pool, call, opts, libraries \\ declared()) do
    layers =
      case Map.get(libraries, call.library) do
        %{retry: %{bounds: bounds, functions: functions}} = library ->
          [bounds, function_bounds(functions, library.python_module, call), opts]

        _ ->
          [opts]
      end

    Enum.reduce(layers, pool, fn layer, policy ->
      {:ok, policy} = policy(layer, policy)
      policy
    end)
  end

  defp declared, do: :persistent_term.get({SnakeBridge.Runtime, :libraries}, %{})

  defp function_bounds(functions, _root, _call) when map_size(functions) == 0, do: nil

  defp function_bounds(functions, root, call) do
    full = call.python_module <> "." <> call.function
    names = [full, String.replace_prefix(full, root <> ".", ""), call.function]
    Enum.find_value(names, &Map.get(functions, &1))
  end

  @doc """
  After `done` executions of a call that crashed, with `remaining` ms left before its
  deadline (or `:infinity`): `{:retry, backoff_ms}`, or `:stop` when the series is
  spent or the backoff would reach the deadline. `uniform` is `:rand.uniform/1`'s shape.
  """
  @spec next(t, pos_integer, integer | :infinity, (pos_integer -> pos_integer)) ::
          {:retry, non_neg_integer} | :stop
  def next(%__MODULE__{} = policy, done, remaining, uniform \\ &:rand.uniform/1) do
    if done >= policy.attempts do
      :stop
    else
      backoff = uniform.(cap(policy, done) + 1) - 1
      if remaining == :infinity or backoff < remaining, do: {:retry, backoff}, else: :stop
    end
  end

  @doc "The longest backoff before retry `n` (1 for the first)."
  @spec cap(t, pos_integer) :: non_neg_integer
  def cap(%__MODULE__{base: base, max: max}, n), do: min(max, base * Integer.pow(2, n - 1))
end
