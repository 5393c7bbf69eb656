-- The agency facts grew with the lifecycle (extensions, ratings, appeals, Ombudsman referrals):
-- the check names every kind reporting's projection records (reporting.projection.FACTS).
ALTER TABLE rm_agency_facts DROP CONSTRAINT rm_agency_facts_fact_check;
ALTER TABLE rm_agency_facts ADD CONSTRAINT rm_agency_facts_fact_check CHECK (fact IN (
    'received', 'refused', 'escalated_from', 'extended', 'rated', 'rating_points', 'appealed',
    'referred_to_ombudsman'
));
