"""`python -m routing`: run the routing service alone."""

from routing.app import create_app
from services.tooling.entrypoints import service_main

if __name__ == "__main__":
    service_main("routing", "routing_port", create_app)
