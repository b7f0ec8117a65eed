-- +goose Up
-- The schema holds the projection's tables (cases, clocks, urgings, programmes, follow-ups, hot
-- spots, visits; versioned, e.g. clocks_v1) and their checkpoint, which pkg/projection creates and
-- rebuilds by version; this migration only documents the schema.
-- +goose StatementBegin
DO $$ BEGIN
	EXECUTE format('COMMENT ON SCHEMA %I IS %L', current_schema(),
		'civicase supervision: deadline watch, urgings, supervision programmes, deputies'' follow-ups and hot spots, projected from the event log (versioned tables, rebuilt by pkg/projection)');
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$ BEGIN
	EXECUTE format('COMMENT ON SCHEMA %I IS NULL', current_schema());
END $$;
-- +goose StatementEnd
