-- Reports over a period read deals by their closing time.

-- +goose Up
CREATE INDEX deals_closed_idx ON deals (closed_at) WHERE closed_at IS NOT NULL;

-- +goose Down
DROP INDEX deals_closed_idx;
