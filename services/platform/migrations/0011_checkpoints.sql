-- Signed checkpoints over the whole log (services/platform/checkpoints.py): the digest of every
-- stream's head at a global position, signed with Ed25519. Append-only, like the log.
CREATE TABLE checkpoints (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    log_position bigint NOT NULL,
    streams integer NOT NULL,
    root text NOT NULL,
    made_at timestamptz NOT NULL,
    previous_root text,
    public_key text NOT NULL,
    signature text NOT NULL
);

CREATE TRIGGER checkpoints_no_update_or_delete BEFORE UPDATE OR DELETE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION events_are_append_only();
