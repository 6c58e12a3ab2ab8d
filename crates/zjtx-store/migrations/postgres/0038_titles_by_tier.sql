-- A list of a title's holders (the registry's `title` filter, the bulletin's counts) is read from
-- a tier's titles in code order, each joined to its firm (`Store::list`), instead of probing
-- every firm for the title.
CREATE INDEX titles_tier ON titles (tier, uscc, valid_until);
