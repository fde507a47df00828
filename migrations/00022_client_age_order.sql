-- The client list sorted by age (issue 12, item 11) over every client, a
-- page at a time: one index per direction, each keeping clients whose
-- birth date is not known at the end (infinity when oldest come first,
-- -infinity read backwards when the youngest do). An advisor's book is
-- small enough to sort without them.

-- +goose Up
CREATE INDEX clients_oldest_idx ON clients ((coalesce(birth_date, 'infinity'::date)), id);
CREATE INDEX clients_youngest_idx ON clients ((coalesce(birth_date, '-infinity'::date)), id);

-- +goose Down
DROP INDEX clients_youngest_idx;
DROP INDEX clients_oldest_idx;
