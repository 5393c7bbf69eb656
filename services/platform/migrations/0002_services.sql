-- The four services' own tables, and the index that finds a complaint by its tracking id.

CREATE UNIQUE INDEX events_tracking_id_idx ON events ((payload->>'tracking_id'))
    WHERE event_type = 'complaint.filed';

-- The platform clock's offset from real time: only the demo command moves it (never in
-- production); every service reads it, so they all agree on "now".
CREATE TABLE platform_clock (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    offset_seconds double precision NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO platform_clock DEFAULT VALUES;

-- routing: what waits for the national admin (verification, manual disposition, escalations).
CREATE TABLE routing_queue (
    complaint_id uuid PRIMARY KEY,
    tracking_id text NOT NULL,
    status text NOT NULL,
    kind text NOT NULL,
    title text NOT NULL,
    category text,
    region_code text,
    channel text NOT NULL,
    refused_by text[] NOT NULL,
    verify_due timestamptz,
    filed_at timestamptz NOT NULL,
    version integer NOT NULL
);
CREATE INDEX routing_queue_filed_idx ON routing_queue (filed_at);

-- followup: complaints held by an agency (its queue API) and the next deadline to watch.
CREATE TABLE followup_cases (
    complaint_id uuid PRIMARY KEY,
    tracking_id text NOT NULL,
    holder text,
    agency_code text,
    unit_code text,
    status text NOT NULL,
    title text NOT NULL,
    follow_up_due timestamptz,
    next_due timestamptz,
    version integer NOT NULL
);
CREATE INDEX followup_cases_holder_idx ON followup_cases (holder);
CREATE INDEX followup_cases_next_due_idx ON followup_cases (next_due) WHERE next_due IS NOT NULL;

-- reporting: read models, rebuilt from the event store at will (`python -m reporting rebuild`).
CREATE TABLE rm_complaints (
    complaint_id uuid PRIMARY KEY,
    tracking_id text NOT NULL,
    kind text NOT NULL,
    title text NOT NULL,
    category text,
    region_code text,
    province_code text,
    channel text NOT NULL,
    status text NOT NULL,
    agency_code text,
    unit_code text,
    anonymous boolean NOT NULL,
    confidential boolean NOT NULL,
    filed_at timestamptz NOT NULL,
    first_disposed_at timestamptz,
    first_follow_up_at timestamptz,
    first_follow_up_agency text,
    days_to_first_follow_up integer,
    closed_at timestamptz,
    closed_reason text,
    resolution_code text,
    escalations integer NOT NULL,
    refusals integer NOT NULL,
    reopen_count integer NOT NULL,
    verify_due timestamptz,
    follow_up_due timestamptz,
    reply_due timestamptz,
    version integer NOT NULL,
    last_event_at timestamptz NOT NULL
);
CREATE INDEX rm_complaints_agency_idx ON rm_complaints (agency_code);
CREATE INDEX rm_complaints_province_idx ON rm_complaints (province_code);
CREATE INDEX rm_complaints_first_follow_up_idx ON rm_complaints (first_follow_up_agency);

-- What each agency did with each complaint: received it, refused it, was escalated over.
CREATE TABLE rm_agency_facts (
    complaint_id uuid NOT NULL,
    agency_code text NOT NULL,
    fact text NOT NULL CHECK (fact IN ('received', 'refused', 'escalated_from')),
    times integer NOT NULL,
    PRIMARY KEY (complaint_id, agency_code, fact)
);
CREATE INDEX rm_agency_facts_agency_idx ON rm_agency_facts (agency_code);

CREATE TABLE rm_agency_performance (
    agency_code text PRIMARY KEY,
    received integer NOT NULL,
    open integer NOT NULL,
    resolved integer NOT NULL,
    escalations integer NOT NULL,
    refusals integer NOT NULL,
    followed_up integer NOT NULL,
    median_days_to_first_follow_up double precision
);

CREATE TABLE rm_region_rollup (
    province_code text PRIMARY KEY,
    filed integer NOT NULL,
    open integer NOT NULL,
    resolved integer NOT NULL,
    closed integer NOT NULL,
    archived integer NOT NULL,
    escalated integer NOT NULL
);
