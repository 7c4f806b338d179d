defmodule SnakeBridge.Operators do
  @moduledoc """
  Python's operators on refs, opt-in:

      use SnakeBridge.Operators

      x = Sympy.Symbol.new!("x")
      x ** 2 + 2 * x          # a sympy expression (a ref)
      a * 2 + b               # numpy arrays: elementwise, in Python
      df[df["age"] > 30]      # a pandas boolean mask
      1 + 2                   # 3, Kernel's +

  `use` replaces Kernel's `+ - * / **`, unary `-` and `== != < <= > >=` in the calling
  module (`import SnakeBridge.Operators` alone gives only the named functions below).
  When either operand is a `SnakeBridge.Ref` the operation runs in Python, with Python's
  semantics (`2 * arr` uses the array's reflected `__rmul__`; `arr == 1` is an array of
  booleans, a ref); otherwise it is exactly Kernel's (same result, same errors). Numbers
  pay one inline type test, which costs next to nothing, but its ref branch is a call:
  in a function whose body otherwise calls nothing (a tight self-recursive loop), that
  call makes the function keep a stack frame, which costs several times the arithmetic.
  A guard that tells the compiler the operands are numbers (`when is_integer(n)`) drops
  the test and its call, and the function compiles as under Kernel; `bench/operators`
  measures all three. In guards the operators are Kernel's, since refs cannot reach a
  guard.

  Python operators without an Elixir one are functions: `matmul/2` (`@`), `band/2`
  (`&`), `bor/2` (`|`), `bxor/2` (`^`), `bnot/1` (`~`), `floordiv/2` (`//`), `mod/2` (`%`);
  on two integers they are `Bitwise`'s, `div/2` and `rem/2`... see each.
  Comparisons return what Python returns: use `SnakeBridge.bool!/1` to turn a Python
  truth value into an Elixir boolean.
  """

  import Kernel,
    except: [+: 2, -: 2, *: 2, /: 2, **: 2, -: 1, ==: 2, !=: 2, <: 2, <=: 2, >: 2, >=: 2]

  alias SnakeBridge.Ref
  alias SnakeBridge.Runtime.Ops

  @binary [+: "add", -: "sub", *: "mul", /: "truediv", **: "pow"] ++
            [==: "eq", !=: "ne", <: "lt", <=: "le", >: "gt", >=: "ge"]

  defmacro __using__(_opts) do
    excluded = Keyword.keys(@binary) |> Enum.map(&{&1, 2})

    quote do
      import Kernel, except: unquote([{:-, 1} | excluded])
      import SnakeBridge.Operators
    end
  end

  for {operator, op} <- @binary do
    @doc "`left #{operator} right`: Python's when either side is a ref, else `Kernel.#{operator}/2`."
    defmacro unquote(operator)(left, right) do
      operator = unquote(operator)
      op = unquote(op)

      SnakeBridge.Operators.__binary__(operator, op, left, right, __CALLER__)
    end
  end

  @doc false
  # A literal operand (`x > 30`) is never a ref: no clause is generated for it, so the
  # compiler does not warn about clauses that cannot match.
  def __binary__(operator, op, left, right, caller) do
    cond do
      caller.context in [:guard, :match] or
          (Macro.quoted_literal?(left) and Macro.quoted_literal?(right)) ->
        quote do: Kernel.unquote(operator)(unquote(left), unquote(right))

      Macro.quoted_literal?(right) ->
        quote do
          case unquote(left) do
            %Ref{} = l -> Ops.run!(unquote(op), [l, unquote(right)])
            l -> Kernel.unquote(operator)(l, unquote(right))
          end
        end

      Macro.quoted_literal?(left) ->
        quote do
          case unquote(right) do
            %Ref{} = r -> Ops.run!(unquote(op), [unquote(left), r])
            r -> Kernel.unquote(operator)(unquote(left), r)
          end
        end

      true ->
        quote do
          case {unquote(left), unquote(right)} do
            {%Ref{} = l, r} -> Ops.run!(unquote(op), [l, r])
            {l, %Ref{} = r} -> Ops.run!(unquote(op), [l, r])
            {l, r} -> Kernel.unquote(operator)(l, r)
          end
        end
    end
  end

  @doc "`-value`: Python's when `value` is a ref, else `Kernel.-/1`."
  defmacro -value do
    cond do
      is_number(value) ->
        Kernel.-(value)

      __CALLER__.context in [:guard, :match] ->
        quote(do: Kernel.-(unquote(value)))

      true ->
        quote do
          case unquote(value) do
            %Ref{} = v -> Ops.run!("neg", [v])
            v -> Kernel.-(v)
          end
        end
    end
  end

  @doc "Python's `left @ right` (matrix product). At least one side must be a ref."
  @spec matmul(term, term) :: term
  def matmul(left, right), do: Ops.run!("matmul", [left, right])

  @doc "Python's `left & right` (numpy's elementwise and); `Bitwise.band/2` on two integers."
  @spec band(term, term) :: term
  def band(left, right) when is_integer(left) and is_integer(right), do: Bitwise.band(left, right)
  def band(left, right), do: Ops.run!("and", [left, right])

  @doc "Python's `left | right` (numpy's elementwise or); `Bitwise.bor/2` on two integers."
  @spec bor(term, term) :: term
  def bor(left, right) when is_integer(left) and is_integer(right), do: Bitwise.bor(left, right)
  def bor(left, right), do: Ops.run!("or", [left, right])

  @doc "Python's `left ^ right`; `Bitwise.bxor/2` on two integers."
  @spec bxor(term, term) :: term
  def bxor(left, right) when is_integer(left) and is_integer(right), do: Bitwise.bxor(left, right)
  def bxor(left, right), do: Ops.run!("xor", [left, right])

  @doc "Python's `~value` (numpy's elementwise not of a boolean mask); `Bitwise.bnot/1` on an integer."
  @spec bnot(term) :: term
  def bnot(value) when is_integer(value), do: Bitwise.bnot(value)
  def bnot(value), do: Ops.run!("invert", [value])

  @doc "Python's `left // right` (floor division); `Integer.floor_div/2` on two integers."
  @spec floordiv(term, term) :: term
  def floordiv(left, right) when is_integer(left) and is_integer(right),
    do: Integer.floor_div(left, right)

  def floordiv(left, right), do: Ops.run!("floordiv", [left, right])

  @doc "Python's `left % right` (sign of the divisor); `Integer.mod/2` on two integers."
  @spec mod(term, term) :: term
  def mod(left, right) when is_integer(left) and is_integer(right), do: Integer.mod(left, right)
  def mod(left, right), do: Ops.run!("mod", [left, right])
end
