"""`python -m reporting serve | rebuild | digest | timeline <tracking-id> | verify` (the
reporting and audit commands of the operator CLI, `python -m services`)."""

from services.tooling.cli import reporting_app

if __name__ == "__main__":
    reporting_app()
