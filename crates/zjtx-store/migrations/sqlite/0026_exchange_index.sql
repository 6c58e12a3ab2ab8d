-- The registry's changes in the order they were made, for the province's incremental exchange
-- (`/api/v1/exchange/enterprises?since=…`): a page is one range of this index.
CREATE INDEX enterprises_changed ON enterprises (updated_at, uscc);
