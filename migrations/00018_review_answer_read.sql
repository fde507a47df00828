-- When the client has read her advisor's answer to a review request: the
-- portal shows a notice for answers not read yet, and "Messages" lists
-- them first.

-- +goose Up
ALTER TABLE human_review_requests ADD COLUMN client_read_at timestamptz
    CHECK (client_read_at IS NULL OR status = 'answered');
CREATE INDEX human_review_requests_unread_idx ON human_review_requests (client_id)
    WHERE status = 'answered' AND client_read_at IS NULL;

-- +goose Down
DROP INDEX human_review_requests_unread_idx;
ALTER TABLE human_review_requests DROP COLUMN client_read_at;
