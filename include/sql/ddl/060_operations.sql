-- Operations: what arrived and when, every run's loads and figures (history, never replaced),
-- runs and alerts. Written by keyprojects.arrivals / operations / alerts (issue 9).

-- Every run's per-file audit rows (load_audit keeps only the latest run of a quarter and list),
-- with the file's receipt time: its modification time in the inbox (file_mtime, ISO UTC).
CREATE TABLE IF NOT EXISTS load_history (
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
    units          TEXT,
    file_size      BIGINT,
    file_mtime     TEXT,
    run_id         TEXT    NOT NULL,
    loaded_at      TEXT
);
CREATE INDEX IF NOT EXISTS ix_load_history_quarter ON load_history (quarter, run_id);

-- Every run's unit figures (a copy of bulletin_unit_quarter's main columns per run), so that
-- "what changed in the figures" between two runs is a join.
CREATE TABLE IF NOT EXISTS bulletin_history (
    quarter                    TEXT    NOT NULL,
    run_id                     TEXT    NOT NULL,
    unit                       TEXT    NOT NULL,
    dispatch_projects          INTEGER,
    dispatch_total_investment  DOUBLE PRECISION,
    industrial_investment      DOUBLE PRECISION,
    industrial_growth          DOUBLE PRECISION,
    renovation_investment      DOUBLE PRECISION,
    renovation_growth          DOUBLE PRECISION,
    start_rate                 DOUBLE PRECISION,
    registration_rate          DOUBLE PRECISION,
    missed_reports             INTEGER
);
CREATE INDEX IF NOT EXISTS ix_bulletin_history_quarter ON bulletin_history (quarter, run_id);

-- One row per run of a quarter: running -> success | failed (what the watcher and the status
-- command read, so the package never asks Airflow). fingerprint: sha256 over the files loaded.
CREATE TABLE IF NOT EXISTS run_history (
    quarter      TEXT NOT NULL,
    dag_id       TEXT,
    run_id       TEXT NOT NULL,
    state        TEXT NOT NULL,
    fingerprint  TEXT,
    bulletin     TEXT,
    message      TEXT,
    started_at   TEXT,
    finished_at  TEXT
);
CREATE INDEX IF NOT EXISTS ix_run_history_quarter ON run_history (quarter, run_id);

-- The units found in an inbox file, by content (sha256) and list: the arrival check reads each
-- new file once with the product's readers and remembers what it found.
CREATE TABLE IF NOT EXISTS inbox_file_units (
    sha256     TEXT NOT NULL,
    list       TEXT NOT NULL,
    units      TEXT NOT NULL,
    error      TEXT
);
CREATE INDEX IF NOT EXISTS ix_inbox_file_units ON inbox_file_units (sha256, list);

-- What had arrived for a quarter when its run stopped waiting: one row per list (unit NULL) and
-- one per unit library (reserve, dispatch) and unit; status arrived | missing.
CREATE TABLE IF NOT EXISTS inbox_arrivals (
    quarter        TEXT NOT NULL,
    list           TEXT NOT NULL,
    unit           TEXT,
    status         TEXT NOT NULL,
    files          INTEGER NOT NULL DEFAULT 0,
    first_received TEXT,
    last_received  TEXT,
    deadline       TEXT,
    run_id         TEXT
);
CREATE INDEX IF NOT EXISTS ix_inbox_arrivals ON inbox_arrivals (quarter);

-- Alerts (contract.md): created_at is the wall-clock time the alert was raised (metadata).
-- status: open | closed (closed when a later run of the period no longer has the fault).
CREATE TABLE IF NOT EXISTS alerts (
    created_at  TEXT NOT NULL,
    dag_id      TEXT,
    run_id      TEXT,
    quarter     TEXT,
    month       TEXT,
    kind        TEXT NOT NULL,
    list        TEXT,
    unit        TEXT,
    file        TEXT,
    task_id     TEXT,
    message     TEXT NOT NULL,
    report      TEXT,
    status      TEXT NOT NULL DEFAULT 'open',
    closed_at   TEXT,
    emailed     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ix_alerts_period ON alerts (quarter, month, status);
