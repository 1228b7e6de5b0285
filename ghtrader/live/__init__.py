"""Live daemons: tick feeds and the recorder."""
