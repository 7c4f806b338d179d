defmodule SnakeBridge.ReleaseTest do
  @moduledoc """
  What a release ships is found relative to the release root, wherever it was moved.
  The build and the run of a real release are tests/e2e/test_release.py.
  """
  use ExUnit.Case, async: true

  alias SnakeBridge.Release

  setup do
    root = Path.join(System.tmp_dir!(), "sb_release_#{System.unique_integer([:positive])}")
    File.mkdir_p!(root)
    on_exit(fn -> File.rm_rf!(root) end)
    {:ok, root: root}
  end

  test "record/2 then shipped/1: release.config and makes its paths absolute", %{root: root} do
    File.mkdir_p!(Path.join(root, "snakebridge"))

    Release.record(root, %{
      "python" => "python/bin/python",
      "python_path" => ["python_path/0-tools"],
      "interpreter" => "located",
      "base_python" => "/usr/bin/python3.11"
    })

    assert Release.shipped(root) == %{
             root: Path.join(root, "snakebridge"),
             python: Path.join(root, "snakebridge/python/bin/python"),
             python_path: [Path.join(root, "snakebridge/python_path/0-tools")],
             interpreter: :located,
             base_python: "/usr/bin/python3.11"
           }
  end

  test "shipped/1 is nil outside a release (and in one built without the step)", %{root: root} do
    assert Release.shipped(root) == nil
    assert Release.shipped() == nil
  end
end
