-- +goose Up
-- The RFC 6962 tree: every stored hash of golang.org/x/mod/sumdb/tlog (leaf hashes and completed
-- subtrees) by its stored-hash index. Rows are written once and never changed.
CREATE TABLE tree_hashes_v1 (
    idx  bigint PRIMARY KEY,
    hash bytea  NOT NULL CHECK (length(hash) = 32)
);

-- Where each leaf's event is in the log.
CREATE TABLE leaves_v1 (
    leaf         bigint PRIMARY KEY,
    stream_seq   bigint NOT NULL,
    commit_index int    NOT NULL,
    event_id     text   NOT NULL,
    UNIQUE (stream_seq, commit_index)
);
CREATE INDEX leaves_v1_event_id ON leaves_v1 (event_id);

-- The sequencer's position, written in the same transaction as the leaves it covers. One row; the
-- writer fences on (stream_seq, tree_size) so that two sequencers can never both extend the tree.
CREATE TABLE sequencer_v1 (
    id         int    PRIMARY KEY CHECK (id = 1),
    stream_seq bigint NOT NULL,
    tree_size  bigint NOT NULL,
    halted     text   NOT NULL DEFAULT ''
);
INSERT INTO sequencer_v1 (id, stream_seq, tree_size) VALUES (1, 0, 0);

-- Signed checkpoints, with the exact note text that was signed.
CREATE TABLE checkpoints_v1 (
    tree_size    bigint      PRIMARY KEY,
    root_hash    bytea       NOT NULL,
    note         text        NOT NULL,
    published_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE checkpoints_v1;
DROP TABLE sequencer_v1;
DROP TABLE leaves_v1;
DROP TABLE tree_hashes_v1;
