"""The platform every service stands on: ports and their adapters (event store, clock, vault,
publisher), in-memory fakes of the ports, commands, relay, consumers, Kafka wiring, database,
auth, HTTP conventions, logs and settings. Imports only `events` and the kernel."""
