-- The record of truth: complaint streams, their events with a hash chain, and the outbox.

CREATE TABLE streams (
    complaint_id uuid PRIMARY KEY,
    version integer NOT NULL CHECK (version >= 1),
    last_hash bytea NOT NULL
);

CREATE TABLE events (
    global_position bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    complaint_id uuid NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    event_id uuid NOT NULL UNIQUE,
    event_type text NOT NULL,
    schema_version integer NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    actor jsonb NOT NULL,
    correlation_id uuid NOT NULL,
    causation_id uuid,
    payload jsonb NOT NULL,
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL,
    PRIMARY KEY (complaint_id, version)
);

CREATE INDEX events_type_idx ON events (event_type);

-- Appended in the same transaction as the event; deleted by the relay once Kafka acknowledged it.
-- The relay reads whatever is still here, so a row that commits after a higher position was
-- published is still found (the classic "position > last seen" outbox bug cannot happen).
CREATE TABLE outbox (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    global_position bigint NOT NULL,
    complaint_id uuid NOT NULL,
    version integer NOT NULL
);

CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lapor_outbox', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();

-- Personal data, kept apart from the immutable log. Each reporter's data is encrypted with its
-- own key; the key is stored wrapped by the platform's master key. Deleting the key row erases
-- the person (crypto-shredding) while the events stay untouched.
CREATE TABLE reporter_keys (
    reporter_ref text PRIMARY KEY,
    wrapped_key bytea NOT NULL,
    master_key_id text NOT NULL,  -- which master key wrapped it (for rotation)
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reporter_data (
    reporter_ref text PRIMARY KEY,
    ciphertext bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reporter_erasures (
    reporter_ref text PRIMARY KEY,
    erased_at timestamptz NOT NULL DEFAULT now()
);

-- Idempotent consumers: the last version of each complaint a consumer has applied.
CREATE TABLE consumer_positions (
    consumer text NOT NULL,
    complaint_id uuid NOT NULL,
    version integer NOT NULL,
    PRIMARY KEY (consumer, complaint_id)
);
