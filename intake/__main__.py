"""`python -m intake`: run the intake service alone."""

from intake.app import create_app
from services.service_main import main

if __name__ == "__main__":
    main("intake", "intake_port", create_app)
