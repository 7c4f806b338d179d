import Config

config :snakebridge, pools: [default: [size: 1, env: %{"MPLBACKEND" => "Agg"}]]
