import Config

# One worker: the pages run one after another, and a guide's numbers do not depend on it.
config :snakebridge, pools: [default: [size: 1]]
config :logger, level: :warning
