defmodule SnakeBridge.Runtime.BytesReplyTest do
  # A bytes result's payload is taken as a sub-binary of the reply frame; it must be
  # exactly what binary_to_term gives, and every other frame must go the general way.
  use SnakeBridge.RuntimeCase, async: true

  alias SnakeBridge.Runtime.Pool.Job
  alias SnakeBridge.Runtime.Wire

  @sizes [0, 1, 63, 64, 65, 256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1, 1024 * 1024 + 7]

  # Frames as the worker writes them (SMALL_ATOM_UTF8_EXT atoms, the id as
  # SMALL_INTEGER_EXT or INTEGER_EXT); OTP 25's term_to_binary writes atoms otherwise.
  defp atom(atom) do
    text = Atom.to_string(atom)
    <<119, byte_size(text), text::binary>>
  end

  defp id(id) when id in 0..255, do: <<97, id>>
  defp id(id), do: <<98, id::signed-32>>

  defp field(:data, data), do: [atom(:data), <<109, byte_size(data)::32>>, data]
  defp field(key, nil), do: [atom(key), atom(nil)]
  defp field(key, text) when is_binary(text), do: [atom(key), <<109, byte_size(text)::32>>, text]

  defp bytes_map(fields) do
    entries = for {key, value} <- fields, do: field(key, value)
    [<<116, length(fields) + 1::32>>, atom(:__struct__), atom(SnakeBridge.Bytes), entries]
  end

  defp reply(request_id, result, mark \\ nil) do
    arity = if mark, do: 3, else: 2
    tail = if mark, do: atom(mark), else: []
    IO.iodata_to_binary([<<131, 104, arity>>, id(request_id), result, tail])
  end

  defp ok(map), do: [<<104, 2>>, atom(:ok), map]

  defp data_first(data), do: ok(bytes_map(data: data, dtype: nil, shape: nil))
  defp data_last(data), do: ok(bytes_map(dtype: nil, shape: nil, data: data))

  defp payload(size),
    do: :binary.copy(<<1, 2, 3, 250, 0>>, div(size, 5) + 1) |> binary_part(0, size)

  test "a bytes reply gives binary_to_term's value with the payload a sub-binary of the frame" do
    for size <- @sizes,
        request_id <- [5, 255, 256, 70_000, 2 ** 31 - 1],
        layout <- [&data_first/1, &data_last/1] do
      data = payload(size)
      frame = reply(request_id, layout.(data))
      assert {^request_id, {:ok, expected}} = :erlang.binary_to_term(frame, [:safe])

      assert {:ok, value} = Wire.bytes_reply(frame, request_id)
      assert value === expected
      assert %SnakeBridge.Bytes{data: ^data, dtype: nil, shape: nil} = value
      # Not copied: the payload refers into the frame.
      if size > 64, do: assert(:binary.referenced_byte_size(value.data) == byte_size(frame))
    end
  end

  test "frames shaped nearly like a bytes reply take the general path" do
    data = payload(300)
    good = reply(9, data_first(data))
    assert {:ok, _} = Wire.bytes_reply(good, 9)

    others = [
      # another request's reply
      {reply(10, data_first(data)), 9},
      # a typed binary (numpy on the other side): dtype and shape set
      {reply(9, ok(bytes_map(data: data, dtype: "float64", shape: nil))), 9},
      {reply(9, ok(bytes_map(data: data, dtype: nil, shape: "x"))), 9},
      # a fifth key, or one key fewer
      {reply(9, ok(bytes_map(data: data, dtype: nil, shape: nil, extra: nil))), 9},
      {reply(9, ok(bytes_map(data: data, dtype: nil))), 9},
      # bytes after the term, or fewer than the payload's size says
      {good <> <<0>>, 9},
      {binary_part(good, 0, byte_size(good) - 1), 9},
      # the reply marks: refs left in the session, Elixir functions kept
      {reply(9, data_first(data), :refs), 9},
      {reply(9, data_first(data), :callbacks), 9},
      # an error result, and an :ok that is no bytes
      {reply(9, [<<104, 2>>, atom(:error), bytes_map(data: data, dtype: nil, shape: nil)]), 9},
      {reply(9, [<<104, 2>>, atom(:ok), <<109, 3::32, "abc">>]), 9}
    ]

    for {frame, request_id} <- others do
      assert Wire.bytes_reply(frame, request_id) == :error, inspect(frame, limit: 40)
    end

    # The request id as a big integer, or atoms as OTP 25 writes them: valid, general path.
    assert Wire.bytes_reply(:erlang.term_to_binary({9, {:ok, SnakeBridge.bytes(data)}}), 9) in [
             :error,
             {:ok, SnakeBridge.bytes(data)}
           ]

    assert Wire.bytes_reply(reply(2 ** 40, data_first(data)), 2 ** 40) == :error
  end

  test "a large request frame references its binaries and has term_to_binary's bytes" do
    registration = Wire.registration(:call, %{library: "x", python_module: "x", function: "f"})

    for size <- @sizes,
        args <- [
          [SnakeBridge.bytes(payload(size)), 1],
          [1, payload(size)],
          [1, 2, %{data: payload(size)}],
          [SnakeBridge.bytes(payload(size), dtype: "uint8")]
        ] do
      term = {77, elem(registration, 0), args, %{}, "s", nil}
      frame = Wire.call(77, registration, args, %{}, "s", nil)
      assert IO.iodata_to_binary(frame) == :erlang.term_to_binary(term)
      # Small frames stay one binary (cheaper to build); large ones refer to the payload.
      assert is_list(frame) == size >= 64 * 1024

      job = %Job{request_id: 77, frame: frame}

      assert Job.reply_prefix(job) ==
               Job.reply_prefix(%{job | frame: :erlang.term_to_binary(term)})
    end
  end

  describe "through a worker" do
    setup do
      pool =
        start_pool(:"bytes_reply_#{System.unique_integer([:positive])}",
          libraries: [operator: :stdlib, sbtest: :stdlib]
        )

      {:ok, pool: pool}
    end

    test "bytes of every size come back whole, the large ones as sub-binaries", %{pool: pool} do
      for size <- @sizes do
        data = payload(size)

        assert {:ok, %SnakeBridge.Bytes{data: ^data, dtype: nil, shape: nil} = value} =
                 SnakeBridge.call(
                   "operator",
                   "concat",
                   [SnakeBridge.bytes(data), SnakeBridge.bytes("")],
                   snakebridge: [pool: pool]
                 )

        # The reply frame is the payload and ~100 bytes around it (small replies are
        # decoded in full: their copy costs less than the match).
        if size > 1024 do
          referenced = :binary.referenced_byte_size(value.data)
          assert referenced > size and referenced < size + 200
        end
      end
    end

    test "other results next to bytes ones still decode in full", %{pool: pool} do
      sb = [snakebridge: [pool: pool]]
      data = payload(1000)

      assert {:ok, [[%SnakeBridge.Bytes{data: ^data}], %{}]} =
               SnakeBridge.call("sbtest", "echo", [SnakeBridge.bytes(data)], sb)

      assert {:ok, "ab"} = SnakeBridge.call("operator", "concat", ["a", "b"], sb)
      assert {:error, %SnakeBridge.Error{}} = SnakeBridge.call("operator", "concat", [1, "b"], sb)
    end
  end
end
