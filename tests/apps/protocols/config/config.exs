import Config

config :snakebridge, pools: [default: [size: 1]]
