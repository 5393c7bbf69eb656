-- Imported complaints appear beside natively filed ones, flagged by the connected system they
-- came from (NULL: filed through the backbone's own channels).
ALTER TABLE rm_complaints ADD COLUMN source_system text;
CREATE INDEX rm_complaints_source_idx ON rm_complaints (source_system);
