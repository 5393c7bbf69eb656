"""The shared layers under the four services: `kernel` (pure), `platform` (ports and adapters),
and `tooling` (embedded engines, launcher, demo data, the operator CLI) on top."""
