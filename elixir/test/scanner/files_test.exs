defmodule SnakeBridge.Scanner.FilesTest do
  @moduledoc "Which files are scanned, and the directory-listing cache behind a cheap no-op."
  use ExUnit.Case, async: true

  alias SnakeBridge.Config
  alias SnakeBridge.Scanner.Files

  setup do
    root = Path.join(System.tmp_dir!(), "sb_files_#{System.unique_integer([:positive])}")
    on_exit(fn -> File.rm_rf!(root) end)

    for rel <- ~w(lib/a.ex lib/b.exs lib/sub/c.ex lib/sub/deep/d.ex lib/.hidden/e.ex
                  lib/legacy/f.ex lib/snakebridge_generated/numpy.ex lib/notes.txt src/g.ex) do
      path = Path.join(root, rel)
      File.mkdir_p!(Path.dirname(path))
      File.write!(path, "")
    end

    {:ok, root: root}
  end

  defp config(root, scan) do
    {:ok, config} = Config.load([snakebridge: [libraries: [], scan: scan]], root, %{})
    config
  end

  test "defaults: .ex under lib, no generated dir, no hidden entries", %{root: root} do
    assert Files.list(config(root, [])) ==
             ~w(lib/a.ex lib/legacy/f.ex lib/sub/c.ex lib/sub/deep/d.ex)
  end

  test "paths, exclude globs and .exs", %{root: root} do
    config =
      config(root, paths: ["lib", "src"], exclude: ["lib/legacy", "**/deep/*.ex"], exs: true)

    assert Files.list(config) == ~w(lib/a.ex lib/b.exs lib/sub/c.ex src/g.ex)
  end

  test "glob translation" do
    assert Regex.match?(Files.glob_regex("lib/*.ex"), "lib/a.ex")
    refute Regex.match?(Files.glob_regex("lib/*.ex"), "lib/sub/a.ex")
    assert Regex.match?(Files.glob_regex("lib/**/*.ex"), "lib/a.ex")
    assert Regex.match?(Files.glob_regex("lib/**/*.ex"), "lib/x/y/a.ex")
    assert Regex.match?(Files.glob_regex("lib/{a,b}.ex"), "lib/b.ex")
    assert Regex.match?(Files.glob_regex("lib/legacy/"), "lib/legacy/x/y.ex")
    refute Regex.match?(Files.glob_regex("lib/a?.ex"), "lib/a/.ex")
  end

  test "directory listings are reused while a directory's mtime is unchanged", %{root: root} do
    config = config(root, [])
    old = System.os_time(:second) - 100
    for dir <- ~w(lib lib/sub lib/sub/deep lib/legacy), do: File.touch!(Path.join(root, dir), old)
    now = System.os_time(:second)

    {files, dirs} = Files.list(config, %{}, now)
    assert {^files, ^dirs} = Files.list(config, dirs, now)

    # A new file changes its directory's mtime: the directory is listed again.
    File.write!(Path.join(root, "lib/sub/new.ex"), "")
    {files2, dirs2} = Files.list(config, dirs, now)
    assert "lib/sub/new.ex" in files2

    # Deleting one is seen the same way.
    File.rm!(Path.join(root, "lib/sub/new.ex"))
    {files3, _} = Files.list(config, dirs2, now)
    assert files3 == files

    # Proof the cache is what answered: with the directory's stat put back, a file
    # added behind its back is not seen until the directory changes again.
    File.touch!(Path.join(root, "lib/sub"), old)
    {_, dirs4} = Files.list(config, %{}, now)
    File.write!(Path.join(root, "lib/sub/sneaky.ex"), "")
    File.touch!(Path.join(root, "lib/sub"), old)
    {files5, _} = Files.list(config, dirs4, now)
    refute "lib/sub/sneaky.ex" in files5
    # ...and a directory modified within a second of the cache being written is never trusted.
    {files6, _} = Files.list(config, dirs4, old + 1)
    assert "lib/sub/sneaky.ex" in files6
  end
end
