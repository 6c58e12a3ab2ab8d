-- The pages computed from every firm's figures (monitoring, the bulletin) keep what they computed
-- until the firms' data changes (the web's `whole::Kept`): besides a firm's record and titles
-- (noted since 0035), they read its yearly figures — an import of an earlier year writes these
-- alone — and its chain tags. Both are noted like the others. A tag's copy of its firm's district
-- is not: a move is noted by the firm's own record, and every import rewrites the copies.
CREATE TRIGGER enterprise_years_subject_changed AFTER INSERT OR UPDATE OR DELETE ON enterprise_years
    FOR EACH STATEMENT EXECUTE FUNCTION note_subject_change();
CREATE TRIGGER enterprise_chains_subject_changed AFTER INSERT OR DELETE OR UPDATE OF uscc, chain ON enterprise_chains
    FOR EACH STATEMENT EXECUTE FUNCTION note_subject_change();
