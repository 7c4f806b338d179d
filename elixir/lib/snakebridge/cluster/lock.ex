defmodule SnakeBridge.Cluster.Lock do
  @moduledoc """
  What a node's `snakebridge.lock` says it runs, as the cluster compares it: the
  Python version and each library's resolved version (a `:stdlib` library's is the
  Python version, a `:local` one's its content hash; see `snakebridge.state.lock`).

  `SnakeBridge.Config` reads it next to the declaration, from the project root, and
  gives each library its `locked:` entry, so it travels with the declaration into the
  compiled application (`SnakeBridge.Config.Bake`) and into a release. Nodes advertise
  it with their declarations (`SnakeBridge.Cluster.Load`); nodes whose entries for a
  library differ do not serve each other's calls for it (`SnakeBridge.Cluster.Router`).
  Nothing is asked of Python and nothing is read per call.

  The lock is JSON written by Python; OTP 25 has no JSON decoder, so `decode/1` reads
  the subset the lock uses (objects, arrays, strings, numbers, booleans, null).
  """

  @file_name "snakebridge.lock"

  @typedoc "A library's entry: its resolved version (nil: not in the lock) and the lock's Python."
  @type locked :: %{version: String.t() | nil, python: String.t()}

  @doc """
  The lock under `root`: `%{python: version, libraries: %{name => resolved}}`, or nil
  when there is none (or it cannot be read: `mix snakebridge.verify` reports that).
  """
  @spec read(Path.t() | nil) ::
          %{python: String.t(), libraries: %{String.t() => String.t()}} | nil
  def read(nil), do: nil

  def read(root) do
    with {:ok, text} <- File.read(Path.join(root, @file_name)),
         {:ok, %{"environment" => %{"python_version" => python}, "libraries" => libs}}
         when is_binary(python) and is_map(libs) <- decode(text) do
      resolved =
        for {name, %{"resolved" => version}} when is_binary(version) <- libs,
            into: %{},
            do: {name, version}

      %{python: python, libraries: resolved}
    else
      _ -> nil
    end
  end

  @doc "Library `name`'s entry in a lock read by `read/1` (nil without a lock)."
  @spec entry(map | nil, String.t()) :: locked | nil
  def entry(nil, _name), do: nil
  def entry(lock, name), do: %{version: Map.get(lock.libraries, name), python: lock.python}

  @doc "Decodes a JSON document: `{:ok, term}` (objects as maps) or `:error`."
  @spec decode(String.t()) :: {:ok, term} | :error
  def decode(text) do
    case value(skip(text)) do
      {value, rest} -> if skip(rest) == "", do: {:ok, value}, else: :error
      :error -> :error
    end
  end

  defp skip(<<c, rest::binary>>) when c in ~c" \t\r\n", do: skip(rest)
  defp skip(text), do: text

  defp value("{" <> rest), do: members(skip(rest), %{})
  defp value("[" <> rest), do: elements(skip(rest), [])
  defp value("\"" <> rest), do: string(rest, [])
  defp value("true" <> rest), do: {true, rest}
  defp value("false" <> rest), do: {false, rest}
  defp value("null" <> rest), do: {nil, rest}

  defp value(text) do
    case Regex.run(~r/^-?\d+(\.\d+)?([eE][-+]?\d+)?/, text) do
      [number | fraction] ->
        rest = binary_part(text, byte_size(number), byte_size(text) - byte_size(number))
        parsed = if fraction == [], do: String.to_integer(number), else: float(number)
        {parsed, rest}

      nil ->
        :error
    end
  end

  defp float(number) do
    {parsed, ""} = Float.parse(number)
    parsed
  end

  defp members("}" <> rest, acc) when acc == %{}, do: {acc, rest}

  defp members("\"" <> rest, acc) do
    with {key, rest} <- string(rest, []),
         ":" <> rest <- skip(rest),
         {item, rest} <- value(skip(rest)) do
      case skip(rest) do
        "," <> rest -> members(skip(rest), Map.put(acc, key, item))
        "}" <> rest -> {Map.put(acc, key, item), rest}
        _ -> :error
      end
    else
      _ -> :error
    end
  end

  defp members(_text, _acc), do: :error

  defp elements("]" <> rest, []), do: {[], rest}

  defp elements(text, acc) do
    with {item, rest} <- value(text) do
      case skip(rest) do
        "," <> rest -> elements(skip(rest), [item | acc])
        "]" <> rest -> {Enum.reverse([item | acc]), rest}
        _ -> :error
      end
    end
  end

  @escapes %{
    ?" => ?",
    ?\\ => ?\\,
    ?/ => ?/,
    ?b => ?\b,
    ?f => ?\f,
    ?n => ?\n,
    ?r => ?\r,
    ?t => ?\t
  }

  defp string("\"" <> rest, acc), do: {acc |> Enum.reverse() |> IO.iodata_to_binary(), rest}

  defp string(<<?\\, ?u, hex::binary-size(4), rest::binary>>, acc) do
    case Integer.parse(hex, 16) do
      {code, ""} -> unicode(code, rest, acc)
      _ -> :error
    end
  end

  defp string(<<?\\, c, rest::binary>>, acc) when is_map_key(@escapes, c),
    do: string(rest, [Map.fetch!(@escapes, c) | acc])

  defp string(<<c::utf8, rest::binary>>, acc) when c >= 0x20 and c != ?\\,
    do: string(rest, [<<c::utf8>> | acc])

  defp string(_text, _acc), do: :error

  # A surrogate pair (\\ud83d\\ude00) is one character.
  defp unicode(high, <<?\\, ?u, hex::binary-size(4), rest::binary>>, acc)
       when high in 0xD800..0xDBFF do
    case Integer.parse(hex, 16) do
      {low, ""} when low in 0xDC00..0xDFFF ->
        code = 0x10000 + (high - 0xD800) * 0x400 + (low - 0xDC00)
        string(rest, [<<code::utf8>> | acc])

      _ ->
        :error
    end
  end

  defp unicode(code, _rest, _acc) when code in 0xD800..0xDFFF, do: :error
  defp unicode(code, rest, acc), do: string(rest, [<<code::utf8>> | acc])
end
