"""Entry point: `python -m services`."""

from services.tooling.cli import app

app()
