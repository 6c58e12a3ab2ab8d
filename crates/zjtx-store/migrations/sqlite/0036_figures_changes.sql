-- The pages computed from every firm's figures (monitoring, the bulletin) keep what they computed
-- until the firms' data changes (the web's `whole::Kept`): besides a firm's record and titles
-- (noted since 0035), they read its yearly figures — an import of an earlier year writes these
-- alone — and its chain tags. Both are noted in the same count. A tag's copy of its firm's
-- district is not: a move is noted by the firm's own record, and every import rewrites the copies.
CREATE TRIGGER enterprise_years_subject_insert AFTER INSERT ON enterprise_years BEGIN
    UPDATE subject_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER enterprise_years_subject_update AFTER UPDATE ON enterprise_years BEGIN
    UPDATE subject_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER enterprise_years_subject_delete AFTER DELETE ON enterprise_years BEGIN
    UPDATE subject_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER enterprise_chains_subject_insert AFTER INSERT ON enterprise_chains BEGIN
    UPDATE subject_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER enterprise_chains_subject_update AFTER UPDATE OF uscc, chain ON enterprise_chains BEGIN
    UPDATE subject_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER enterprise_chains_subject_delete AFTER DELETE ON enterprise_chains BEGIN
    UPDATE subject_changes SET n = n + 1 WHERE id = 1;
END;
