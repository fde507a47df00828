-- "I'm interested" is not an acceptance. A client's response to an offer
-- is one of three: interested (tell me more; nothing binding), accepted (a
-- binding application) or declined, and the firm records expired when
-- nobody answered. Interest may be followed by an acceptance or a decline,
-- each a record of its own referring to the offer.

-- +goose Up
ALTER TABLE decision_records DROP CONSTRAINT decision_records_outcome_check;
ALTER TABLE decision_records ADD CONSTRAINT decision_records_outcome_check
    CHECK (outcome IN ('shown', 'blocked', 'interested', 'accepted', 'declined', 'expired', 'review_requested'));
ALTER TABLE decision_records DROP CONSTRAINT decision_records_check2;
ALTER TABLE decision_records ADD CONSTRAINT decision_records_check2
    CHECK ((kind = 'offer_shown' AND outcome = 'shown')
        OR (kind = 'offer_blocked' AND outcome = 'blocked')
        OR (kind = 'response' AND outcome IN ('interested', 'accepted', 'declined', 'expired'))
        OR (kind = 'review_request' AND outcome = 'review_requested'));

-- +goose Down
ALTER TABLE decision_records DROP CONSTRAINT decision_records_check2;
ALTER TABLE decision_records ADD CONSTRAINT decision_records_check2
    CHECK ((kind = 'offer_shown' AND outcome = 'shown')
        OR (kind = 'offer_blocked' AND outcome = 'blocked')
        OR (kind = 'response' AND outcome IN ('accepted', 'declined', 'expired'))
        OR (kind = 'review_request' AND outcome = 'review_requested'));
ALTER TABLE decision_records DROP CONSTRAINT decision_records_outcome_check;
ALTER TABLE decision_records ADD CONSTRAINT decision_records_outcome_check
    CHECK (outcome IN ('shown', 'blocked', 'accepted', 'declined', 'expired', 'review_requested'));
