"""routing service (built in the lifecycle issue)."""
