-- Every work item routing has put on an agency queue, in order: what an agency was sent, and
-- what is sent again should the broker lose its queues (the in-memory fallback broker).
CREATE TABLE work_items (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    work_item_id uuid NOT NULL UNIQUE,
    queue text NOT NULL,
    complaint_id uuid NOT NULL,
    body bytea NOT NULL
);

-- How many times the relay found the broker empty; a queue keeper that has seen fewer puts
-- the work items back.
CREATE TABLE broker_resets (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    resets bigint NOT NULL DEFAULT 0
);
INSERT INTO broker_resets DEFAULT VALUES;

CREATE TABLE queue_keepers (
    keeper text PRIMARY KEY,
    resets_seen bigint NOT NULL
);
