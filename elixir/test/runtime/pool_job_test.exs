defmodule SnakeBridge.Runtime.Pool.JobTest do
  use ExUnit.Case, async: true

  alias SnakeBridge.Runtime.Pool.Job

  # A worker's reply `{id, result}` (or `{id, result, :refs}`): the pool must recognize
  # it by the job's prefix for every size of request id.
  defp reply(id, arity) do
    term = if arity == 2, do: {id, {:ok, 1}}, else: {id, {:ok, 1}, :refs}
    :erlang.term_to_binary(term)
  end

  test "the reply prefix is the request id as the reply encodes it, for every id size" do
    for id <- [7, 255, 256, 70_000, 2 ** 31 - 1, 2 ** 40, 2 ** 70] do
      job = %Job{request_id: id, frame: :erlang.term_to_binary({id, %{call_type: :call}})}
      prefix = Job.reply_prefix(job)

      for arity <- [2, 3] do
        <<131, 104, ^arity, rest::binary>> = reply(id, arity)
        assert binary_part(rest, 0, byte_size(prefix)) == prefix, "id #{id}"
      end

      # Another id never shares it.
      <<131, 104, 2, other::binary>> = reply(id + 1, 2)
      refute binary_part(other, 0, byte_size(prefix)) == prefix
    end
  end

  test "a job whose frame is not `{id, ...}` gets its prefix from its request id" do
    job = %Job{request_id: 2 ** 70, frame: <<1, 2, 3>>}
    <<131, 104, 2, rest::binary>> = reply(2 ** 70, 2)
    assert binary_part(rest, 0, byte_size(Job.reply_prefix(job))) == Job.reply_prefix(job)
  end

  test "the pool's own requests: a heartbeat asks for stats, a release names its session" do
    beat = Job.heartbeat(2_000)
    assert %Job{kind: :heartbeat, timeout: 2_000, from: nil, key: nil} = beat
    id = beat.request_id

    assert {^id, %{call_type: :stats, session: "", args: [], kwargs: %{}}} =
             :erlang.binary_to_term(beat.frame)

    release = Job.release_session("s1", 30_000)
    assert %Job{kind: nil, timeout: 30_000, from: nil} = release
    rid = release.request_id

    assert {^rid, %{call_type: :release_session, session: "s1"}} =
             :erlang.binary_to_term(release.frame)

    assert rid != id
  end
end
