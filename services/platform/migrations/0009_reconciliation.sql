-- Reconciliation with connected systems: where each system's documented endpoint is, how far
-- its last replay read, and every comparison made (the drift found, per complaint).
ALTER TABLE connected_systems ADD COLUMN reconciliation_url text;
ALTER TABLE connected_systems ADD COLUMN replay_after bigint;
ALTER TABLE connected_systems ADD COLUMN replayed_at timestamptz;

CREATE TABLE reconciliations (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    system_code text NOT NULL REFERENCES connected_systems (code),
    reconciled_at timestamptz NOT NULL,
    cells_compared integer NOT NULL,
    cells_differing integer NOT NULL,
    drift jsonb NOT NULL,
    error text
);
CREATE INDEX reconciliations_by_system ON reconciliations (system_code, position DESC);
