-- Digital engineering service providers (数字工程服务商, issue 13): a provider account's profile,
-- its service records to registry firms, and the city's published yearly selections. Money in
-- units of 0.0001 万元; the index as its decimal text.

CREATE TABLE providers (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE provider_records (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider_id  BIGINT NOT NULL REFERENCES providers(id),
    client_uscc  TEXT NOT NULL REFERENCES enterprises(uscc),
    year         BIGINT NOT NULL,
    value        BIGINT NOT NULL,
    delivered    BIGINT NOT NULL,
    accepted     BIGINT NOT NULL,
    level_before BIGINT NOT NULL,
    level_after  BIGINT NOT NULL,
    satisfaction BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX provider_records_year ON provider_records (year, provider_id);

CREATE TABLE provider_selections (
    year         BIGINT NOT NULL,
    provider_id  BIGINT NOT NULL REFERENCES providers(id),
    rank         BIGINT NOT NULL,
    idx          TEXT NOT NULL,
    award        BIGINT NOT NULL,
    published_on TEXT NOT NULL,
    PRIMARY KEY (year, provider_id)
);
