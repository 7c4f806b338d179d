defmodule SnakeBridge.Cluster.LockTest do
  # The lock as Python writes it (snakebridge.state.lock.render), read back here.
  use ExUnit.Case, async: true

  import SnakeBridge.ClusterCase, only: [write_lock: 3]
  alias SnakeBridge.Cluster.Lock

  setup do
    root = Path.join(System.tmp_dir!(), "sb_lock_#{System.unique_integer([:positive])}")
    File.mkdir_p!(root)
    on_exit(fn -> File.rm_rf!(root) end)
    {:ok, root: root}
  end

  test "reads the Python version and each library's resolved version", %{root: root} do
    write_lock(root, "3.11.7", %{
      "numpy" => %{"requested" => "~> 2.0", "resolved" => "2.4.6", "files_hash" => "sha256:a"},
      "json" => %{"requested" => "stdlib", "resolved" => "3.11.7", "files_hash" => ""},
      "tools" => %{
        "requested" => "local",
        "resolved" => "sha256:0123456789abcdef",
        "files_hash" => "sha256:0123456789abcdef00",
        "options" => "exclude=a\\\"b; include=é"
      }
    })

    assert Lock.read(root) == %{
             python: "3.11.7",
             libraries: %{
               "numpy" => "2.4.6",
               "json" => "3.11.7",
               "tools" => "sha256:0123456789abcdef"
             }
           }

    lock = Lock.read(root)
    assert Lock.entry(lock, "numpy") == %{version: "2.4.6", python: "3.11.7"}
    assert Lock.entry(lock, "sympy") == %{version: nil, python: "3.11.7"}
    assert Lock.entry(nil, "numpy") == nil
  end

  test "the committed demo's lock" do
    lock = Lock.read(Path.expand("../../../examples/demo", __DIR__))
    assert lock.python =~ ~r/^3\.\d+\.\d+$/
    assert %{"numpy" => _, "sympy" => _, "json" => python} = lock.libraries
    assert python == lock.python
  end

  test "no lock, or one that is not JSON, reads as none", %{root: root} do
    assert Lock.read(root) == nil
    assert Lock.read(nil) == nil
    File.write!(Path.join(root, "snakebridge.lock"), "{\"environment\": ")
    assert Lock.read(root) == nil
  end

  test "decodes JSON values, escapes and surrogate pairs; refuses what is not JSON" do
    assert Lock.decode(
             ~s( {"a": [1, -2.5e1, true, false, null, {}], "b\\n\\u00e9\\ud83d\\ude00": []} )
           ) ==
             {:ok, %{"a" => [1, -25.0, true, false, nil, %{}], "b\né😀" => []}}

    for bad <- [~s({"a": 1,}), ~s({"a" 1}), ~s([1 2]), ~s("\\ud83d"), ~s({"a": 1} x), ~s(nul)] do
      assert Lock.decode(bad) == :error, bad
    end
  end

  test "libraries configured outside mix.exs take their entries from the lock under root:", %{
    root: root
  } do
    write_lock(root, "3.12.1", %{
      "json" => %{"requested" => "stdlib", "resolved" => "3.12.1", "files_hash" => ""}
    })

    libs = SnakeBridge.Config.runtime_overrides!(libraries: [json: :stdlib], root: root).libraries
    assert libs["json"].locked == %{version: "3.12.1", python: "3.12.1"}

    # mix.exs: the project root's lock, baked with the declaration.
    config = SnakeBridge.Config.load!([snakebridge: [libraries: [json: :stdlib]]], root)
    assert SnakeBridge.Config.runtime(config).libraries["json"].locked.python == "3.12.1"

    assert SnakeBridge.Config.runtime_overrides!(libraries: [json: :stdlib]).libraries["json"].locked ==
             nil
  end
end
