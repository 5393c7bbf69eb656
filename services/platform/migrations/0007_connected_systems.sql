-- Regional (and ministry) complaint systems connected both ways: who they are, which agencies
-- they speak for, how their status words map to the national lifecycle, their key (a SHA-256
-- digest only), and every import step refused (queryable by the system).
CREATE TABLE connected_systems (
    code text PRIMARY KEY,
    name text NOT NULL,
    agencies text[] NOT NULL,
    status_map jsonb NOT NULL,
    key_digest bytea NOT NULL UNIQUE,
    active boolean NOT NULL DEFAULT true,
    registered_at timestamptz NOT NULL,
    key_rotated_at timestamptz NOT NULL,
    last_contact_at timestamptz
);

CREATE TABLE import_rejections (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    system_code text NOT NULL REFERENCES connected_systems (code),
    external_id text NOT NULL,
    step_id text,
    error text NOT NULL,
    field text,
    problem text NOT NULL,
    rejected_at timestamptz NOT NULL
);
CREATE INDEX import_rejections_by_system ON import_rejections (system_code, position);
