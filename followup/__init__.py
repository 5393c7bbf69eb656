"""followup service (built in the lifecycle issue)."""
