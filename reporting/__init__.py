"""reporting service (built in the lifecycle issue)."""
