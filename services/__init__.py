"""The shared runtime every service stands on: settings, logging, event store, relay, Kafka
wiring, embedded infrastructure, launcher, health and metrics."""
