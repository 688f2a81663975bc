-- Figures: configuration tables the models join, the submissions of the units' libraries, the
-- review of cluster words, and the marts of the bulletin beyond one row per unit
-- (zone-group and city totals, the header, the 漏报 projects as the bulletin lists them).

-- The year's city targets (config/targets/<year>.toml), one row per indicator and measure.
-- measure: amount (万元) | growth | count | share; strict = 1 means "greater than", not ">=".
CREATE TABLE IF NOT EXISTS cfg_target (
    year             INTEGER NOT NULL,
    indicator        TEXT    NOT NULL,
    label            TEXT,
    measure          TEXT    NOT NULL,
    target           DOUBLE PRECISION NOT NULL,
    strict           INTEGER NOT NULL,
    indicator_order  INTEGER NOT NULL,
    measure_order    INTEGER NOT NULL,
    PRIMARY KEY (year, indicator, measure)
);

-- The lists (config/lists.toml): their Chinese titles and canonical order, for the notes.
CREATE TABLE IF NOT EXISTS cfg_list (
    list        TEXT    NOT NULL PRIMARY KEY,
    title       TEXT    NOT NULL,
    list_order  INTEGER NOT NULL
);

-- The zone groups of the plan, in bulletin order (config/units.toml).
CREATE TABLE IF NOT EXISTS cfg_zone_group (
    zone_group   TEXT    NOT NULL PRIMARY KEY,
    group_order  INTEGER NOT NULL
);

-- The bulletin's fixed texts (config/bulletin.toml): the issuing body.
CREATE TABLE IF NOT EXISTS cfg_bulletin (
    issuer  TEXT NOT NULL
);

-- contract.md: one row per unit and unit library (reserve, dispatch) per quarter.
CREATE TABLE IF NOT EXISTS unit_submissions (
    quarter      TEXT    NOT NULL,
    unit         TEXT    NOT NULL,
    list         TEXT    NOT NULL,
    files        INTEGER NOT NULL,
    rows_loaded  INTEGER NOT NULL,
    status       TEXT    NOT NULL,
    run_id       TEXT,
    PRIMARY KEY (quarter, unit, list)
);

-- Cluster words of the dispatch libraries that are not configured clusters (config/clusters.toml),
-- with how many projects and rows carry them: for a person to add to the list or fix.
CREATE TABLE IF NOT EXISTS int_cluster_review (
    quarter       TEXT    NOT NULL,
    unit          TEXT    NOT NULL,
    cluster_word  TEXT    NOT NULL,
    projects      INTEGER NOT NULL,
    rows_seen     INTEGER NOT NULL,
    run_id        TEXT,
    PRIMARY KEY (quarter, unit, cluster_word)
);

-- Zone-group subtotals and the 全市合计 row: the same figures as bulletin_unit_quarter, summed
-- from the units' numerators and denominators. group_kind: zone_group | city.
CREATE TABLE IF NOT EXISTS bulletin_group_quarter (
    quarter                    TEXT    NOT NULL,
    group_kind                 TEXT    NOT NULL,
    group_name                 TEXT    NOT NULL,
    group_order                INTEGER NOT NULL,
    units                      INTEGER,
    units_not_reported         INTEGER,
    dispatch_projects          INTEGER,
    dispatch_total_investment  DOUBLE PRECISION,
    industrial_investment      DOUBLE PRECISION,
    industrial_investment_prev DOUBLE PRECISION,
    industrial_growth          DOUBLE PRECISION,
    target_growth              DOUBLE PRECISION,
    growth_gap                 DOUBLE PRECISION,
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
    cluster_unknown_projects   INTEGER,
    note                       TEXT,
    run_id                     TEXT,
    PRIMARY KEY (quarter, group_kind, group_name)
);

-- The bulletin's header: issuing body, data cut-off (the quarter's last day) and tabulation date
-- (the latest date the quarter's loaded rows carry, never before the cut-off; never the clock).
CREATE TABLE IF NOT EXISTS bulletin_quarter (
    quarter             TEXT    NOT NULL PRIMARY KEY,
    issuer              TEXT    NOT NULL,
    data_cutoff         TEXT    NOT NULL,
    tabulated_on        TEXT    NOT NULL,
    units_not_reported  INTEGER,
    run_id              TEXT
);

-- The 漏报 sheet: one row per unit and project, its source lists joined (签约、立项、能源),
-- dates and owner from its first row, and the closest library project a person should compare
-- (a near miss of int_match_review), with its similarity.
CREATE TABLE IF NOT EXISTS missed_projects (
    quarter             TEXT    NOT NULL,
    unit                TEXT    NOT NULL,
    project_key         TEXT    NOT NULL,
    project_code        TEXT,
    project_name        TEXT    NOT NULL,
    total_investment    DOUBLE PRECISION,
    sources             TEXT    NOT NULL,
    source_date         TEXT,
    owner               TEXT,
    candidate_name      TEXT,
    candidate_similarity DOUBLE PRECISION,
    run_id              TEXT,
    PRIMARY KEY (quarter, unit, project_key)
);
