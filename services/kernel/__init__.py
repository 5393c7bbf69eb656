"""The pure kernel: what the services share as domain knowledge (refusal kinds, the working-day
calendar, the agency hierarchy, the case-file view). Imports only `events`; no I/O."""
