-- +goose Up
-- Receipt numbers now come from serials leased in blocks (app.ReceiptSerials): a registration no
-- longer writes here, so the number costs the critical path nothing. Each row is the next serial
-- no process has leased; a lease moves it on by a block in one committed update, so blocks never
-- overlap across replicas or restarts (a process that stops leaves the rest of its block unused:
-- numbers are unique, not gapless). The old per-number claims are dropped: those numbers are
-- recorded in their petitions' events, and the serial numbers have seven characters where the old
-- ones had six, so the two can never collide. No personal data.
CREATE TABLE receipt_serials (
    tenant text PRIMARY KEY,
    next   bigint NOT NULL CHECK (next >= 0)
);
DROP TABLE receipt_numbers;

-- +goose Down
CREATE TABLE receipt_numbers (
    receipt_number text PRIMARY KEY,
    petition_id    uuid NOT NULL
);
DROP TABLE receipt_serials;
