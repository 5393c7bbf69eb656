"""intake service (built in the lifecycle issue)."""
