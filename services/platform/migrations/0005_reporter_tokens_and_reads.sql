-- Reporters' access tokens: random secrets, kept only as SHA-256 digests, with an expiry; a
-- rotation revokes the earlier ones. Nothing here can be derived from a complaint id.
CREATE TABLE reporter_tokens (
    token_digest bytea PRIMARY KEY,
    complaint_id uuid NOT NULL,
    issued_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX reporter_tokens_by_complaint ON reporter_tokens (complaint_id);

-- Every read of a reporter's contact (UU PDP 27/2022): who, when, why, which complaint.
-- Append-only; an auditor reads it through intake's audit API.
CREATE TABLE personal_data_reads (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    read_at timestamptz NOT NULL DEFAULT now(),
    reader text NOT NULL,
    purpose text NOT NULL,
    complaint_id uuid,
    reporter_ref text NOT NULL
);
CREATE INDEX personal_data_reads_by_complaint ON personal_data_reads (complaint_id, position);
