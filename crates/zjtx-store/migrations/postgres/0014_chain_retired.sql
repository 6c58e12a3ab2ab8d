-- The city bureau edits the chain taxonomy (issue 12): a retired chain keeps its tags and events
-- (its history) but is no longer offered for new ones.
ALTER TABLE chains ADD COLUMN retired_on TEXT;
