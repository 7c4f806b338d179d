defmodule Demo.MixProject do
  use Mix.Project

  def project do
    [
      app: :demo,
      version: "0.1.0",
      elixir: "~> 1.14",
      compilers: [:snakebridge] ++ Mix.compilers(),
      deps: [{:snakebridge, path: "../../elixir"}],
      # `mix release` copies the managed Python environment, interpreter included, into the
      # release.
      releases: [demo: [steps: [:assemble, &SnakeBridge.Release.step/1]]],
      snakebridge: [
        libraries: [
          numpy: "~> 2.0",
          sympy: "~> 1.13",
          json: :stdlib,
          # The demo's own module, priv/python/demo_tools.py.
          demo_tools: :local
        ],
        python_path: ["priv/python"],
        # Docs and search for symbols the demo does not call yet: the committed index in
        # .snakebridge/docs first, then Python (`SnakeBridge.Docs`).
        docs: [source: :hybrid]
      ]
    ]
  end

  def application do
    [extra_applications: [:logger]]
  end
end
