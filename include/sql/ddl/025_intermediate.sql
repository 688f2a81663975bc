-- Intermediate layer: one project across the lists (keyprojects.matching) and configuration
-- dimensions the mart models join (rebuilt from config/*.toml on every run).

CREATE TABLE IF NOT EXISTS int_project_master (
    project_key    TEXT PRIMARY KEY,
    project_code   TEXT,
    unit           TEXT NOT NULL,
    project_name   TEXT NOT NULL,
    name_key       TEXT,
    first_quarter  TEXT NOT NULL,
    quarters       INTEGER
);

CREATE TABLE IF NOT EXISTS int_project_rows (
    quarter           TEXT    NOT NULL,
    list              TEXT    NOT NULL,
    project_key       TEXT    NOT NULL,
    seq               INTEGER NOT NULL,
    file              TEXT    NOT NULL,
    sheet             TEXT    NOT NULL,
    row_number        INTEGER NOT NULL,
    project_code      TEXT,
    project_name      TEXT    NOT NULL,
    name_key          TEXT,
    unit              TEXT    NOT NULL,
    nature            TEXT,
    status            TEXT,
    cluster           TEXT,
    cluster_text      TEXT,
    total_investment  DOUBLE PRECISION,
    ytd_investment    DOUBLE PRECISION,
    approval_date     TEXT,
    signing_date      TEXT,
    start_date        TEXT,
    owner             TEXT,
    registered_flag   TEXT,
    run_id            TEXT
);
CREATE INDEX IF NOT EXISTS ix_int_project_rows ON int_project_rows (quarter, list, unit, project_key);

CREATE TABLE IF NOT EXISTS int_match_review (
    quarter         TEXT NOT NULL,
    unit            TEXT NOT NULL,
    similarity      DOUBLE PRECISION,
    reason          TEXT,
    list_a          TEXT,
    project_key_a   TEXT,
    project_name_a  TEXT,
    file_a          TEXT,
    row_number_a    INTEGER,
    list_b          TEXT,
    project_key_b   TEXT,
    project_name_b  TEXT,
    file_b          TEXT,
    row_number_b    INTEGER,
    run_id          TEXT
);
CREATE INDEX IF NOT EXISTS ix_int_match_review ON int_match_review (quarter);

CREATE TABLE IF NOT EXISTS cfg_unit (
    year          INTEGER NOT NULL,
    unit          TEXT    NOT NULL,
    unit_order    INTEGER NOT NULL,
    zone_group    TEXT,
    target_growth DOUBLE PRECISION,
    ranked        INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS cfg_nature (
    nature        TEXT NOT NULL,
    nature_group  TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS cfg_status (
    status   TEXT    NOT NULL,
    started  INTEGER NOT NULL
);

-- Per quarter, each project's facts across the lists: which lists hold it, and its status, total,
-- year-to-date completed and registration as the lists report them (dispatch first for status and
-- total, the registered list for year-to-date).
CREATE TABLE IF NOT EXISTS int_project_quarter (
    quarter           TEXT    NOT NULL,
    project_key       TEXT    NOT NULL,
    unit              TEXT    NOT NULL,
    project_code      TEXT,
    project_name      TEXT    NOT NULL,
    in_reserve        INTEGER NOT NULL,
    in_dispatch       INTEGER NOT NULL,
    in_signed         INTEGER NOT NULL,
    in_approved       INTEGER NOT NULL,
    in_energy         INTEGER NOT NULL,
    in_registered     INTEGER NOT NULL,
    status            TEXT,
    started           INTEGER,
    total_investment  DOUBLE PRECISION,
    ytd_investment    DOUBLE PRECISION,
    run_id            TEXT
);
CREATE INDEX IF NOT EXISTS ix_int_project_quarter ON int_project_quarter (quarter, unit);
