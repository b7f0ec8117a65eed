-- One wrapped data key per data subject. Shredding nulls wrapped_dek and dates the tombstone; the
-- row stays so that a shredded subject_ref can never get a new key.
-- +goose Up
CREATE TABLE seal_subject_keys (
    subject_ref text PRIMARY KEY,
    key_id      text NOT NULL,
    wrapped_dek bytea,
    created_at  timestamptz NOT NULL,
    shredded_at timestamptz,
    CONSTRAINT seal_subject_keys_key_or_tombstone CHECK ((wrapped_dek IS NULL) = (shredded_at IS NOT NULL))
);

-- +goose Down
DROP TABLE seal_subject_keys;
