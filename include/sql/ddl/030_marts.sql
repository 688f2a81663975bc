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
-- ranking_unit_year: see 040_ranking.sql
