defmodule SnakeBridge.MixProject do
  use Mix.Project

  @version "0.1.0"

  def project do
    [
      app: :snakebridge,
      version: @version,
      elixir: "~> 1.14",
      start_permanent: Mix.env() == :prod,
      elixirc_paths: elixirc_paths(Mix.env()),
      deps: [],
      description: "Generated, documented, typed Elixir bindings for Python libraries."
    ]
  end

  def application do
    [
      extra_applications: [:logger, :crypto],
      mod: {SnakeBridge.Application, []}
    ]
  end

  defp elixirc_paths(:test), do: ["lib", "test/support"]
  defp elixirc_paths(_), do: ["lib"]
end
