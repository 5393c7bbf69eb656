-- The relay's view of the broker, kept across relay restarts: per partition of the events
-- topic, the highest offset the broker acknowledged and the first offset of the last round.
-- A broker found to end before them has lost what it acknowledged: the relay replays.
CREATE TABLE relay_partitions (
    topic text NOT NULL,
    partition integer NOT NULL,
    high_water bigint NOT NULL,
    round_start bigint NOT NULL,
    PRIMARY KEY (topic, partition)
);
