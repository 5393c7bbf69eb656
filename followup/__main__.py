"""`python -m followup`: run the followup service alone; `python -m followup advance-clock`
moves the demo clock forward (the same as `python -m services advance-clock`)."""

import sys

from followup.app import create_app
from services.tooling.entrypoints import service_main

if __name__ == "__main__":
    if sys.argv[1:2] == ["advance-clock"]:
        from services.tooling.cli import app

        app(["advance-clock", *sys.argv[2:]])
    else:
        service_main("followup", "followup_port", create_app)
