defmodule DocsApp.Expect do
  @moduledoc """
  The `#=>` results shown in the documentation's examples, and how they are compared.

  A comment starting with `#=>` gives the result of the top-level expression it follows:
  the last one that starts on or above its line, so it may sit at the end of that
  expression's last line or on a line of its own below it. It may continue on the next
  comment lines that start in the same column with `#` and at least two spaces.

  The shown text is compared with `inspect/2` of the value on one line, whitespace runs
  counting as one space, and `...` standing for any text (a long float, a ref's repr,
  struct fields the example leaves out). A text starting with `** (` says that the
  expression raises: it is compared with the exception's banner, as IEx prints it
  (`** (SnakeBridge.ValueError) ...`).
  """

  @doc """
  Pairs each top-level expression with the `#=>` text that follows it, or `nil`.
  Returns `{:error, {line, message}}` for a `#=>` that follows no expression or a second
  one for the same expression.
  """
  def attach(expressions, comments) do
    starts = Enum.map(expressions, &first_line/1)

    comments
    |> expectations()
    |> Enum.reduce_while({:ok, %{}}, fn {line, text}, {:ok, acc} ->
      case owner(starts, line) do
        nil ->
          {:halt, {:error, {line, "this #=> follows no expression"}}}

        index when is_map_key(acc, index) ->
          {:halt, {:error, {line, "a second #=> for the same expression"}}}

        index ->
          {:cont, {:ok, Map.put(acc, index, {line, text})}}
      end
    end)
    |> case do
      {:ok, by_index} ->
        {:ok, expressions |> Enum.with_index() |> Enum.map(fn {e, i} -> {e, by_index[i]} end)}

      error ->
        error
    end
  end

  # The last expression starting on or above `line` (a bare literal has no line and
  # owns nothing).
  defp owner(starts, line) do
    starts
    |> Enum.with_index()
    |> Enum.filter(fn {start, _} -> is_integer(start) and start <= line end)
    |> List.last()
    |> case do
      nil -> nil
      {_, index} -> index
    end
  end

  defp expectations(comments) do
    comments
    |> Enum.reduce([], fn comment, acc ->
      case {comment.text, acc} do
        {"#=>" <> text, _} ->
          [{comment.line, comment.column, comment.line, [text]} | acc]

        {"#" <> rest, [{line, column, last, texts} | done]}
        when comment.line == last + 1 and comment.column == column ->
          if continuation?(rest),
            do: [{line, column, comment.line, [rest | texts]} | done],
            else: acc

        _ ->
          acc
      end
    end)
    |> Enum.reverse()
    |> Enum.map(fn {line, _column, _last, texts} ->
      {line, texts |> Enum.reverse() |> Enum.join(" ") |> String.trim()}
    end)
  end

  defp continuation?(rest), do: String.match?(rest, ~r/^\s{2,}\S/)

  @doc "The first source line of an expression (`nil` for a bare literal)."
  def first_line(ast) do
    {_, line} =
      Macro.prewalk(ast, nil, fn
        {_, meta, _} = node, acc when is_list(meta) ->
          case meta[:line] do
            line when is_integer(line) and (acc == nil or line < acc) -> {node, line}
            _ -> {node, acc}
          end

        node, acc ->
          {node, acc}
      end)

    line
  end

  @doc "Compares the shown text with a value."
  def compare("** (" <> _ = text, value) do
    {:error, "expected it to raise: #=> #{text}\n  but it returned #{show(value)}"}
  end

  def compare(text, value) do
    actual = show(value)

    if matches?(text, actual),
      do: :ok,
      else: {:error, "expected #=> #{text}\n  got #{actual}"}
  end

  @doc "Compares the shown text with what the expression raised (or threw, or exited)."
  def compare_raised("** (" <> _ = text, kind, reason) do
    banner = Exception.format_banner(kind, reason, [])

    if matches?(text, banner),
      do: :ok,
      else: {:error, "expected #=> #{text}\n  but it raised #{banner}"}
  end

  def compare_raised(text, _kind, _reason), do: {:error, "expected #=> #{text}, but it raised"}

  defp show(value), do: inspect(value, limit: :infinity, printable_limit: :infinity)

  @doc "Whether `actual` reads as `shown`: whitespace runs are one space, `...` is any text."
  def matches?(shown, actual) do
    pattern =
      shown
      |> normalize()
      |> String.split("...")
      |> Enum.map_join(".*", &Regex.escape/1)

    Regex.match?(Regex.compile!("\\A" <> pattern <> "\\z", "s"), normalize(actual))
  end

  defp normalize(text), do: text |> String.split() |> Enum.join(" ")
end
