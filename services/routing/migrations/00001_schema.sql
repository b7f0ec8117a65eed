-- +goose Up
-- The schema holds the projections' tables (cases_v1, case_clocks_v1 and their checkpoints), which
-- pkg/projection creates and rebuilds by version; this migration only documents the schema.
-- +goose StatementBegin
DO $$ BEGIN
	EXECUTE format('COMMENT ON SCHEMA %I IS %L', current_schema(),
		'civicase routing: cases and their legal clocks, projected from the event log (versioned tables, rebuilt by pkg/projection)');
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$ BEGIN
	EXECUTE format('COMMENT ON SCHEMA %I IS NULL', current_schema());
END $$;
-- +goose StatementEnd
