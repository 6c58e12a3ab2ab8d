-- No query reads enterprises by the order of their names: a name search is a substring match (a
-- b-tree cannot serve it) and lists go in USCC order. The index only cost every import a
-- random-position insert per enterprise, so it goes.
DROP INDEX enterprises_name;
