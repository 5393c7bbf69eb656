"""`python -m routing`: run the routing service alone."""

from routing.app import create_app
from services.service_main import main

if __name__ == "__main__":
    main("routing", "routing_port", create_app)
