-- Raw layer: every data row read from every file, whatever became of it, with its lineage.
-- disposition: loaded | rejected | skipped; reason: the rule code or skip reason; cells: the row's
-- non-blank cells as read (JSON object field -> text).
CREATE TABLE IF NOT EXISTS raw_rows (
    quarter      TEXT    NOT NULL,
    list         TEXT    NOT NULL,
    file         TEXT    NOT NULL,
    sheet        TEXT    NOT NULL,
    row_number   INTEGER NOT NULL,
    disposition  TEXT    NOT NULL,
    reason       TEXT,
    cells        TEXT,
    sha256       TEXT    NOT NULL,
    run_id       TEXT
);
CREATE INDEX IF NOT EXISTS ix_raw_rows_partition ON raw_rows (quarter, list);

-- One row per file (or per missing list) and run: the load audit of contract.md.
-- status: loaded | failed (whole-file fault, nothing loaded) | missing (the list has not arrived).
CREATE TABLE IF NOT EXISTS load_audit (
    quarter        TEXT    NOT NULL,
    list           TEXT    NOT NULL,
    file           TEXT    NOT NULL,
    sha256         TEXT,
    status         TEXT    NOT NULL,
    rows_read      INTEGER NOT NULL DEFAULT 0,
    rows_loaded    INTEGER NOT NULL DEFAULT 0,
    rows_rejected  INTEGER NOT NULL DEFAULT 0,
    rows_skipped   INTEGER NOT NULL DEFAULT 0,
    message        TEXT,
    run_id         TEXT,
    loaded_at      TEXT
);
CREATE INDEX IF NOT EXISTS ix_load_audit_partition ON load_audit (quarter, list);

-- Rows that failed a rule: one row each, under its first fault (docs/rules.md).
CREATE TABLE IF NOT EXISTS rejected_rows (
    quarter     TEXT    NOT NULL,
    list        TEXT    NOT NULL,
    file        TEXT    NOT NULL,
    sheet       TEXT    NOT NULL,
    row_number  INTEGER NOT NULL,
    rule        TEXT    NOT NULL,
    field       TEXT,
    value       TEXT,
    message     TEXT    NOT NULL,
    run_id      TEXT
);
CREATE INDEX IF NOT EXISTS ix_rejected_rows_partition ON rejected_rows (quarter, list);

-- Rows skipped as not data (blank, subtotal, note), with the reason.
CREATE TABLE IF NOT EXISTS skipped_rows (
    quarter     TEXT    NOT NULL,
    list        TEXT    NOT NULL,
    file        TEXT    NOT NULL,
    sheet       TEXT    NOT NULL,
    row_number  INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    text        TEXT,
    run_id      TEXT
);
CREATE INDEX IF NOT EXISTS ix_skipped_rows_partition ON skipped_rows (quarter, list);
