-- The national priority programmes and strategic issues a complaint is tagged with
-- (ComplaintVerified, ComplaintTagged): the dashboards filter by them. Filled by a rebuild
-- (`python -m services rebuild`) for complaints projected before.
ALTER TABLE rm_complaints ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
CREATE INDEX rm_complaints_tags ON rm_complaints USING gin (tags);
