"""`python -m reporting serve | rebuild | digest | timeline <tracking-id> | verify`."""

from reporting.cli import app

if __name__ == "__main__":
    app()
