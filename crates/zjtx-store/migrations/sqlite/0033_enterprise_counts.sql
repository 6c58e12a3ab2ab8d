-- Exact counts of the register by district, tier, size and ecosystem (issue 15, item 4), kept by
-- every import and move in its own transaction: a list filtered by these alone and the
-- dashboard read their totals here, so that both are exact, fast at any size, and the same.
-- A district or an ecosystem that is not set is ''.
CREATE TABLE enterprise_counts (
    region_code TEXT NOT NULL,
    top_tier TEXT NOT NULL,
    size TEXT NOT NULL,
    ecosystem TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (region_code, top_tier, size, ecosystem)
);
INSERT INTO enterprise_counts (region_code, top_tier, size, ecosystem, n)
SELECT COALESCE(region_code, ''), top_tier, size, COALESCE(ecosystem, ''), COUNT(*)
FROM enterprises
GROUP BY COALESCE(region_code, ''), top_tier, size, COALESCE(ecosystem, '');
