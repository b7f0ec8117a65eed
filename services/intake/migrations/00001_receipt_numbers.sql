-- +goose Up
-- Receipt numbers handed to citizens, each held by one petition. A registration claims the number
-- its petition id offers; the primary key turns the rare collision into a refused claim, and the
-- registration takes the next number its id offers. It is not a read model: the claim must hold
-- before the petition is appended, so it cannot wait for a projection. No personal data.
CREATE TABLE receipt_numbers (
    receipt_number text PRIMARY KEY,
    petition_id    uuid NOT NULL
);

-- +goose Down
DROP TABLE receipt_numbers;
