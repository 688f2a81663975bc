-- The year-end ranking (年度考评, contract.md): one row per configured unit and year, written by the
-- year's Q4 run (include/sql/models/ranking/). Values and points per indicator; a unit that is not
-- ranked (五台山风景名胜区) has its values but no points, score or rank. rank_change is
-- previous_rank - rank (positive: moved up), NULL where the previous year has no rank for the unit.
CREATE TABLE IF NOT EXISTS ranking_unit_year (
    year                          INTEGER NOT NULL,
    unit                          TEXT    NOT NULL,
    unit_order                    INTEGER,
    ranked                        BOOLEAN NOT NULL,
    industrial_growth_gap_value   DOUBLE PRECISION,
    industrial_growth_gap_points  DOUBLE PRECISION,
    renovation_growth_value       DOUBLE PRECISION,
    renovation_growth_points      DOUBLE PRECISION,
    start_rate_value              DOUBLE PRECISION,
    start_rate_points             DOUBLE PRECISION,
    registration_rate_value       DOUBLE PRECISION,
    registration_rate_points      DOUBLE PRECISION,
    large_projects_value          DOUBLE PRECISION,
    large_projects_points         DOUBLE PRECISION,
    cluster_projects_value        DOUBLE PRECISION,
    cluster_projects_points       DOUBLE PRECISION,
    missed_reports                INTEGER,
    industrial_investment         DOUBLE PRECISION,
    deduction                     DOUBLE PRECISION,
    score                         DOUBLE PRECISION,
    rank                          INTEGER,
    previous_rank                 INTEGER,
    rank_change                   INTEGER,
    note                          TEXT,
    quarter                       TEXT,
    run_id                        TEXT
);
CREATE INDEX IF NOT EXISTS ix_ranking_unit_year ON ranking_unit_year (year);

-- The ranking's indicators and weights (config/ranking.toml), replaced before each ranking run.
CREATE TABLE IF NOT EXISTS cfg_ranking_indicator (
    indicator        TEXT    NOT NULL,
    indicator_order  INTEGER NOT NULL,
    label            TEXT    NOT NULL,
    weight           DOUBLE PRECISION NOT NULL
);
