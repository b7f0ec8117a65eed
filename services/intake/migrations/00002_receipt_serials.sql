-- +goose Up
-- Receipt numbers now come from serials leased in blocks (app.ReceiptSerials): a registration no
-- longer writes here, so the number costs the critical path nothing. Each row is the next serial
-- no process has leased; a lease moves it on by a block in one committed statement, so blocks never
-- overlap across replicas or restarts (a process that stops leaves the rest of its block unused:
-- numbers are unique, not gapless). Serial numbers have seven characters where the numbers claimed
-- in receipt_numbers have six, so the two never collide. receipt_numbers stays: replicas of the
-- previous release still claim there during a rolling deploy, and a rollback finds its claims.
-- No personal data.
CREATE TABLE receipt_serials (
    tenant text PRIMARY KEY,
    next   bigint NOT NULL CHECK (next >= 0)
);

-- +goose Down
DROP TABLE receipt_serials;
