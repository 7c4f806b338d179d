defmodule RequestsApp.MixProject do
  use Mix.Project

  # A test app (tests/apps/README.md): requests's documented calls, generated and run for real.
  def project do
    [
      app: :requests_app,
      version: "0.1.0",
      elixir: "~> 1.14",
      build_path: System.get_env("SB_TEST_APPS_BUILD", "_build"),
      elixirc_paths: ["lib", Path.expand("../support", __DIR__)],
      compilers: [:snakebridge] ++ Mix.compilers(),
      deps: [{:snakebridge, path: "../../../elixir"}],
      snakebridge: [
        libraries: [
          requests: "~> 2.34",
          jinja2: "~> 3.1",
          packaging: "~> 26.0",
          builtins: :stdlib
        ]
      ]
    ]
  end

  def application, do: [extra_applications: [:logger]]
end
