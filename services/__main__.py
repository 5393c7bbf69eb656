"""Entry point: `python -m services`."""

from services.cli import app

app()
