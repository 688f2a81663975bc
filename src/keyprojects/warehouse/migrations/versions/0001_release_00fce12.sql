-- ==== include/sql/ddl/010_raw.sql at release 00fce12
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
-- ==== include/sql/ddl/020_staging.sql at release 00fce12
-- Staging layer: the rows of each list that passed validation, typed and normalised (amounts in
-- 万元, dates ISO text, units canonical), with lineage (file, sheet, row_number, sha256, run_id).
-- All six tables share one column set so that models can UNION them.
CREATE TABLE IF NOT EXISTS stg_reserve (
    quarter           TEXT    NOT NULL,
    file              TEXT    NOT NULL,
    sheet             TEXT    NOT NULL,
    row_number        INTEGER NOT NULL,
    sha256            TEXT    NOT NULL,
    run_id            TEXT,
    project_code      TEXT,
    project_name      TEXT    NOT NULL,
    name_key          TEXT,
    unit              TEXT    NOT NULL,
    owner             TEXT,
    nature            TEXT,
    cluster           TEXT,
    total_investment  DOUBLE PRECISION,
    annual_plan       DOUBLE PRECISION,
    ytd_investment    DOUBLE PRECISION,
    month_investment  DOUBLE PRECISION,
    approval_type     TEXT,
    approval_date     TEXT,
    approver          TEXT,
    status            TEXT,
    start_date        TEXT,
    signing_date      TEXT,
    registered_flag   TEXT,
    registered_date   TEXT,
    progress          TEXT,
    problems          TEXT,
    contact           TEXT,
    remark            TEXT
);
CREATE INDEX IF NOT EXISTS ix_stg_reserve_quarter ON stg_reserve (quarter);
CREATE TABLE IF NOT EXISTS stg_dispatch (
    quarter           TEXT    NOT NULL,
    file              TEXT    NOT NULL,
    sheet             TEXT    NOT NULL,
    row_number        INTEGER NOT NULL,
    sha256            TEXT    NOT NULL,
    run_id            TEXT,
    project_code      TEXT,
    project_name      TEXT    NOT NULL,
    name_key          TEXT,
    unit              TEXT    NOT NULL,
    owner             TEXT,
    nature            TEXT,
    cluster           TEXT,
    total_investment  DOUBLE PRECISION,
    annual_plan       DOUBLE PRECISION,
    ytd_investment    DOUBLE PRECISION,
    month_investment  DOUBLE PRECISION,
    approval_type     TEXT,
    approval_date     TEXT,
    approver          TEXT,
    status            TEXT,
    start_date        TEXT,
    signing_date      TEXT,
    registered_flag   TEXT,
    registered_date   TEXT,
    progress          TEXT,
    problems          TEXT,
    contact           TEXT,
    remark            TEXT
);
CREATE INDEX IF NOT EXISTS ix_stg_dispatch_quarter ON stg_dispatch (quarter);
CREATE TABLE IF NOT EXISTS stg_signed (
    quarter           TEXT    NOT NULL,
    file              TEXT    NOT NULL,
    sheet             TEXT    NOT NULL,
    row_number        INTEGER NOT NULL,
    sha256            TEXT    NOT NULL,
    run_id            TEXT,
    project_code      TEXT,
    project_name      TEXT    NOT NULL,
    name_key          TEXT,
    unit              TEXT    NOT NULL,
    owner             TEXT,
    nature            TEXT,
    cluster           TEXT,
    total_investment  DOUBLE PRECISION,
    annual_plan       DOUBLE PRECISION,
    ytd_investment    DOUBLE PRECISION,
    month_investment  DOUBLE PRECISION,
    approval_type     TEXT,
    approval_date     TEXT,
    approver          TEXT,
    status            TEXT,
    start_date        TEXT,
    signing_date      TEXT,
    registered_flag   TEXT,
    registered_date   TEXT,
    progress          TEXT,
    problems          TEXT,
    contact           TEXT,
    remark            TEXT
);
CREATE INDEX IF NOT EXISTS ix_stg_signed_quarter ON stg_signed (quarter);
CREATE TABLE IF NOT EXISTS stg_approved (
    quarter           TEXT    NOT NULL,
    file              TEXT    NOT NULL,
    sheet             TEXT    NOT NULL,
    row_number        INTEGER NOT NULL,
    sha256            TEXT    NOT NULL,
    run_id            TEXT,
    project_code      TEXT,
    project_name      TEXT    NOT NULL,
    name_key          TEXT,
    unit              TEXT    NOT NULL,
    owner             TEXT,
    nature            TEXT,
    cluster           TEXT,
    total_investment  DOUBLE PRECISION,
    annual_plan       DOUBLE PRECISION,
    ytd_investment    DOUBLE PRECISION,
    month_investment  DOUBLE PRECISION,
    approval_type     TEXT,
    approval_date     TEXT,
    approver          TEXT,
    status            TEXT,
    start_date        TEXT,
    signing_date      TEXT,
    registered_flag   TEXT,
    registered_date   TEXT,
    progress          TEXT,
    problems          TEXT,
    contact           TEXT,
    remark            TEXT
);
CREATE INDEX IF NOT EXISTS ix_stg_approved_quarter ON stg_approved (quarter);
CREATE TABLE IF NOT EXISTS stg_energy (
    quarter           TEXT    NOT NULL,
    file              TEXT    NOT NULL,
    sheet             TEXT    NOT NULL,
    row_number        INTEGER NOT NULL,
    sha256            TEXT    NOT NULL,
    run_id            TEXT,
    project_code      TEXT,
    project_name      TEXT    NOT NULL,
    name_key          TEXT,
    unit              TEXT    NOT NULL,
    owner             TEXT,
    nature            TEXT,
    cluster           TEXT,
    total_investment  DOUBLE PRECISION,
    annual_plan       DOUBLE PRECISION,
    ytd_investment    DOUBLE PRECISION,
    month_investment  DOUBLE PRECISION,
    approval_type     TEXT,
    approval_date     TEXT,
    approver          TEXT,
    status            TEXT,
    start_date        TEXT,
    signing_date      TEXT,
    registered_flag   TEXT,
    registered_date   TEXT,
    progress          TEXT,
    problems          TEXT,
    contact           TEXT,
    remark            TEXT
);
CREATE INDEX IF NOT EXISTS ix_stg_energy_quarter ON stg_energy (quarter);
CREATE TABLE IF NOT EXISTS stg_registered (
    quarter           TEXT    NOT NULL,
    file              TEXT    NOT NULL,
    sheet             TEXT    NOT NULL,
    row_number        INTEGER NOT NULL,
    sha256            TEXT    NOT NULL,
    run_id            TEXT,
    project_code      TEXT,
    project_name      TEXT    NOT NULL,
    name_key          TEXT,
    unit              TEXT    NOT NULL,
    owner             TEXT,
    nature            TEXT,
    cluster           TEXT,
    total_investment  DOUBLE PRECISION,
    annual_plan       DOUBLE PRECISION,
    ytd_investment    DOUBLE PRECISION,
    month_investment  DOUBLE PRECISION,
    approval_type     TEXT,
    approval_date     TEXT,
    approver          TEXT,
    status            TEXT,
    start_date        TEXT,
    signing_date      TEXT,
    registered_flag   TEXT,
    registered_date   TEXT,
    progress          TEXT,
    problems          TEXT,
    contact           TEXT,
    remark            TEXT
);
CREATE INDEX IF NOT EXISTS ix_stg_registered_quarter ON stg_registered (quarter);
-- ==== include/sql/ddl/025_intermediate.sql at release 00fce12
-- Intermediate layer: one project across the lists (keyprojects.warehouse.matching) and configuration
-- dimensions the mart models join (rebuilt from config/*.toml on every run).

CREATE TABLE IF NOT EXISTS project_master (
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
    total_investment  DOUBLE PRECISION,
    ytd_investment    DOUBLE PRECISION,
    approval_date     TEXT,
    registered_flag   TEXT,
    run_id            TEXT
);
CREATE INDEX IF NOT EXISTS ix_int_project_rows ON int_project_rows (quarter, list, unit, project_key);

CREATE TABLE IF NOT EXISTS match_review (
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
CREATE INDEX IF NOT EXISTS ix_match_review ON match_review (quarter);

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
CREATE TABLE IF NOT EXISTS project_quarter (
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
CREATE INDEX IF NOT EXISTS ix_project_quarter ON project_quarter (quarter, unit);
-- ==== include/sql/ddl/030_marts.sql at release 00fce12
-- Marts: the quarter's figures (contract.md). Amounts in 万元; rates and growth as fractions;
-- a figure that cannot be computed is NULL (with the reason in a *_note column where it helps).

CREATE TABLE IF NOT EXISTS bulletin_unit_quarter (
    quarter                    TEXT    NOT NULL,
    unit                       TEXT    NOT NULL,
    unit_order                 INTEGER,
    zone_group                 TEXT,
    dispatch_projects          INTEGER,
    dispatch_total_investment  DOUBLE PRECISION,
    industrial_investment      DOUBLE PRECISION,
    industrial_investment_prev DOUBLE PRECISION,
    industrial_growth          DOUBLE PRECISION,
    target_growth              DOUBLE PRECISION,
    growth_attained            INTEGER,
    newbuild_investment        DOUBLE PRECISION,
    newbuild_investment_prev   DOUBLE PRECISION,
    newbuild_growth            DOUBLE PRECISION,
    renovation_investment      DOUBLE PRECISION,
    renovation_investment_prev DOUBLE PRECISION,
    renovation_growth          DOUBLE PRECISION,
    started_projects           INTEGER,
    start_rate                 DOUBLE PRECISION,
    registered_projects        INTEGER,
    registration_rate          DOUBLE PRECISION,
    missed_reports             INTEGER,
    yiyuan_projects            INTEGER,
    yiyuan_share               DOUBLE PRECISION,
    cluster_projects           INTEGER,
    cluster_share              DOUBLE PRECISION,
    note                TEXT,
    run_id                     TEXT
);
CREATE INDEX IF NOT EXISTS ix_bulletin_unit_quarter ON bulletin_unit_quarter (quarter);

CREATE TABLE IF NOT EXISTS missed_reports (
    quarter           TEXT NOT NULL,
    unit              TEXT NOT NULL,
    source_list       TEXT NOT NULL,
    project_key       TEXT,
    project_code      TEXT,
    project_name      TEXT NOT NULL,
    total_investment  DOUBLE PRECISION,
    file              TEXT,
    row_number        INTEGER,
    run_id            TEXT
);
CREATE INDEX IF NOT EXISTS ix_missed_reports ON missed_reports (quarter);

CREATE TABLE IF NOT EXISTS unregistered_projects (
    quarter       TEXT NOT NULL,
    unit          TEXT NOT NULL,
    project_code  TEXT,
    project_name  TEXT NOT NULL,
    status        TEXT,
    total_investment DOUBLE PRECISION,
    run_id        TEXT
);
CREATE INDEX IF NOT EXISTS ix_unregistered_projects ON unregistered_projects (quarter);

CREATE TABLE IF NOT EXISTS city_targets (
    quarter    TEXT NOT NULL,
    indicator  TEXT NOT NULL,
    label      TEXT,
    measure    TEXT NOT NULL,
    target     DOUBLE PRECISION,
    actual     DOUBLE PRECISION,
    attained   INTEGER,
    run_id     TEXT
);
CREATE INDEX IF NOT EXISTS ix_city_targets ON city_targets (quarter);

CREATE TABLE IF NOT EXISTS ranking_unit_year (
    year    INTEGER NOT NULL,
    unit    TEXT    NOT NULL,
    score   DOUBLE PRECISION,
    rank    INTEGER,
    run_id  TEXT
);
CREATE INDEX IF NOT EXISTS ix_ranking_unit_year ON ranking_unit_year (year);
