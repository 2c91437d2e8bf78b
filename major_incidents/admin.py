"""Major incidents in the agent console. Each area registers its own admin module."""
