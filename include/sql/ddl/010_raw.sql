-- Raw layer: every data row read from every file, whatever became of it, with its lineage.
-- disposition: loaded | rejected | skipped; reason: the rule code or skip reason; cells: the row's
-- non-blank cells as read (JSON object field -> text).
create table if not exists raw_rows (
    quarter text not null,
    list text not null,
    file text not null,
    sheet text not null,
    row_number integer not null,
    disposition text not null,
    reason text,
    cells text,
    sha256 text not null,
    run_id text
);
create index if not exists ix_raw_rows_partition on raw_rows (quarter, list);

-- one row per file (or per missing list) and run: the load audit of docs/contract.md.
-- status: loaded | failed (whole-file fault, nothing loaded) | missing (the list has not arrived)
-- | ignored (not a table: a cover letter, a PDF, an image; or a hidden/lock file).
-- format: what the file is by its content (readers/detect.py): xlsx, xlsb, ods, xls, csv, html,
-- spreadsheetml; for a file not read: pdf, docx, doc, image, zip, text, …
create table if not exists load_audit (
    quarter text not null,
    list text not null,
    file text not null,
    sha256 text,
    status text not null,
    format text,
    rows_read integer not null default 0,
    rows_loaded integer not null default 0,
    rows_rejected integer not null default 0,
    rows_skipped integer not null default 0,
    message text,
    run_id text,
    loaded_at text
);
create index if not exists ix_load_audit_partition on load_audit (quarter, list);

-- Rows that failed a rule: one row each, under its first fault (docs/rules.md).
create table if not exists rejected_rows (
    quarter text not null,
    list text not null,
    file text not null,
    sheet text not null,
    row_number integer not null,
    rule text not null,
    field text,
    value text,
    message text not null,
    run_id text
);
create index if not exists ix_rejected_rows_partition on rejected_rows (quarter, list);

-- Rows skipped as not data (blank, subtotal, note), with the reason.
create table if not exists skipped_rows (
    quarter text not null,
    list text not null,
    file text not null,
    sheet text not null,
    row_number integer not null,
    reason text not null,
    text text,
    run_id text
);
create index if not exists ix_skipped_rows_partition on skipped_rows (quarter, list);
