"""`python -m intake`: run the intake service alone."""

from intake.app import create_app
from services.tooling.entrypoints import service_main

if __name__ == "__main__":
    service_main("intake", "intake_port", create_app)
