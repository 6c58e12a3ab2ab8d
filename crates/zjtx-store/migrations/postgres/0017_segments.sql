-- Segments (细分赛道, issue 12) under the chains, kept by the city bureau (a retired segment keeps
-- its tags and takes no new ones), and the segments an enterprise carries — each of a chain the
-- enterprise carries. A chain's rename carries its segments and their tags.

CREATE TABLE segments (
    chain      TEXT NOT NULL,
    name       TEXT NOT NULL,
    retired_on TEXT,
    PRIMARY KEY (chain, name)
);

CREATE TABLE enterprise_segments (
    uscc    TEXT NOT NULL REFERENCES enterprises(uscc),
    chain   TEXT NOT NULL,
    segment TEXT NOT NULL,
    PRIMARY KEY (uscc, chain, segment)
);
CREATE INDEX enterprise_segments_segment ON enterprise_segments (chain, segment, uscc);
