-- Operations: what arrived and when, every run's loads and figures (history, never replaced),
-- runs and alerts. Written by keyprojects.arrivals / operations / alerts (issue 9).

-- Every run's per-file audit rows (load_audit keeps only the latest run of a quarter and list),
-- with the file's receipt time: its modification time in the inbox (file_mtime, ISO UTC), the same
-- in China time (received_at, 'YYYY-MM-DD HH:MM:SS') and its China-time day as a day number
-- (received_day: days since 1970-01-01, so that days late is a portable subtraction).
create table if not exists load_history (
    quarter text not null,
    list text not null,
    file text not null,
    sha256 text,
    status text not null,
    rows_read integer not null default 0,
    rows_loaded integer not null default 0,
    rows_rejected integer not null default 0,
    rows_skipped integer not null default 0,
    message text,
    units text,
    file_size bigint,
    file_mtime text,
    received_at text,
    received_day integer,
    run_id text not null,
    loaded_at text
);
create index if not exists ix_load_history_quarter on load_history (quarter, run_id);

-- Every run's unit figures (a copy of bulletin_unit_quarter's main columns per run), so that
-- "what changed in the figures" between two runs is a join.
create table if not exists bulletin_history (
    quarter text not null,
    run_id text not null,
    unit text not null,
    dispatch_projects integer,
    dispatch_total_investment double precision,
    industrial_investment double precision,
    industrial_growth double precision,
    renovation_investment double precision,
    renovation_growth double precision,
    start_rate double precision,
    registration_rate double precision,
    missed_reports integer
);
create index if not exists ix_bulletin_history_quarter on bulletin_history (quarter, run_id);

-- One row per run of a quarter: running -> success | failed (what the watcher and the status
-- command read, so the package never asks Airflow). fingerprint: sha256 over the files loaded.
create table if not exists run_history (
    quarter text not null,
    dag_id text,
    run_id text not null,
    state text not null,
    fingerprint text,
    bulletin text,
    message text,
    started_at text,
    finished_at text
);
create index if not exists ix_run_history_quarter on run_history (quarter, run_id);

-- The senders found in an inbox file, by content (sha256) and list: the arrival check reads each
-- new file once with the product's readers and remembers what it found (arrivals.file_senders, the
-- one definition of received): units = the units its data rows name (a bureau's list: the bureau),
-- data_rows = its data rows (0: an empty template, received from no one).
create table if not exists inbox_file_units (
    sha256 text not null,
    list text not null,
    units text not null,
    error text,
    data_rows integer
);
create index if not exists ix_inbox_file_units on inbox_file_units (sha256, list);

-- What had arrived for a quarter when its run stopped waiting: one row per list (unit NULL) and
-- one per unit library (reserve, dispatch) and unit; status arrived | missing. Receipt times and
-- the deadline in China time (UTC+8); submission 按时报送, 逾期报送 (first received after the
-- deadline) or 未报送.
create table if not exists inbox_arrivals (
    quarter text not null,
    list text not null,
    unit text,
    status text not null,
    files integer not null default 0,
    first_received text,
    last_received text,
    deadline text,
    run_id text,
    submission text
);
create index if not exists ix_inbox_arrivals on inbox_arrivals (quarter);

-- Alerts (contract.md): created_at is the wall-clock time the alert was raised (metadata).
-- status: open | closed (closed when a later run of the period no longer has the fault).
create table if not exists alerts (
    created_at text not null,
    dag_id text,
    run_id text,
    quarter text,
    month text,
    kind text not null,
    list text,
    unit text,
    file text,
    task_id text,
    message text not null,
    report text,
    status text not null default 'open',
    closed_at text,
    emailed integer not null default 0
);
create index if not exists ix_alerts_period on alerts (quarter, month, status);

-- Deliveries (contract.md): one row per document version (sha256) and recipient, never replaced
-- by a rerun (a version already sent is not sent again). document: the file's path under
-- KP_OUTPUT; addressee: the office, unit, bureau or department; recipient: an address, or the
-- addressee when it has no contact. status: sent (by SMTP) | written (to the outbox) | failed
-- (after the retries; retried by the next run) | no_contact. sent_at: wall-clock (metadata).
create table if not exists deliveries (
    period text not null,
    document text not null,
    recipient text not null,
    sha256 text not null,
    status text not null,
    sent_at text,
    error text,
    addressee text,
    kind text,
    subject text,
    correction integer not null default 0,
    message_file text,
    run_id text
);
create index if not exists ix_deliveries_period on deliveries (period, document, recipient);
