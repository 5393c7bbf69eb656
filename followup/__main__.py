"""`python -m followup`: run the followup service alone; `python -m followup advance-clock`
moves the demo clock forward."""

import sys

from followup.app import create_app
from services.service_main import main

if __name__ == "__main__":
    if sys.argv[1:2] == ["advance-clock"]:
        from followup.cli import advance

        advance(sys.argv[2:])
    else:
        main("followup", "followup_port", create_app)
