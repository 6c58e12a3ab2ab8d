-- Industrial chains (产业链) named under the ecosystems, and the chains an enterprise is tagged
-- with. The city's chains are seeded from zjtx-core's reference data; bureaus add their own.
CREATE TABLE chains (
    name      TEXT PRIMARY KEY,
    ecosystem TEXT NOT NULL,
    name_en   TEXT NOT NULL
);

-- A tag keeps a copy of its enterprise's region (kept in step by every import and every change
-- of tags), so that "this chain in this district" is read from one index in key order instead of
-- walking every tag of the chain.
CREATE TABLE enterprise_chains (
    uscc        TEXT NOT NULL REFERENCES enterprises(uscc),
    chain       TEXT NOT NULL REFERENCES chains(name),
    region_code TEXT,
    PRIMARY KEY (uscc, chain)
);
CREATE INDEX enterprise_chains_chain ON enterprise_chains (chain, uscc);
CREATE INDEX enterprise_chains_chain_region ON enterprise_chains (chain, region_code, uscc);
