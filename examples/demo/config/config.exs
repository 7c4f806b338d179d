import Config

# The demo prints its own results; keep the workers' start-up chatter out of the way.
config :logger, level: :info
