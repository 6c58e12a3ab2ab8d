-- PostgreSQL's 0039 notes titles' changes once per statement (a transition table); SQLite has
-- only per-row triggers, so its triggers of 0031 stay as they are. This file keeps the two
-- backends' migrations numbered alike.
SELECT 1;
