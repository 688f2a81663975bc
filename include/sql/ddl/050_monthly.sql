-- The monthly 13710 dispatch (keyprojects.monthly). `month` is "2022-03"; amounts in 万元; dates ISO.
-- load_audit, rejected_rows, skipped_rows and raw_rows take the month's progress rows with
-- list = 'progress' and the month in their `quarter` column.

-- The month's progress rows that passed validation, normalised. problem_id identifies a problem
-- (unit + project + normalised text + raised date) and is NULL on a row without a problem.
CREATE TABLE IF NOT EXISTS stg_progress (
    month             TEXT    NOT NULL,
    file              TEXT    NOT NULL,
    sheet             TEXT    NOT NULL,
    row_number        INTEGER NOT NULL,
    sha256            TEXT    NOT NULL,
    run_id            TEXT,
    project_code      TEXT,
    project_name      TEXT    NOT NULL,
    name_key          TEXT,
    project_ref       TEXT    NOT NULL,
    unit              TEXT    NOT NULL,
    status            TEXT,
    month_investment  DOUBLE PRECISION,
    ytd_investment    DOUBLE PRECISION,
    annual_plan       DOUBLE PRECISION,
    progress          TEXT,
    problem           TEXT,
    problem_key       TEXT,
    problem_kind      TEXT,
    department        TEXT,
    raised_on         TEXT,
    major             TEXT,
    problem_status    TEXT,
    closed_on         TEXT,
    problem_id        TEXT
);
CREATE INDEX IF NOT EXISTS ix_stg_progress_month ON stg_progress (month);

-- Calendar days for the 13710 deadlines (day_number counts days, so differences are portable).
CREATE TABLE IF NOT EXISTS cal_day (
    day          TEXT    NOT NULL,
    day_number   INTEGER NOT NULL,
    month        TEXT    NOT NULL,
    plus_month   TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_cal_day ON cal_day (day);
CREATE INDEX IF NOT EXISTS ix_cal_day_number ON cal_day (day_number);

-- Each month's progress per project, matched to the dispatch library of the month's quarter.
CREATE TABLE IF NOT EXISTS progress_month (
    month             TEXT    NOT NULL,
    unit              TEXT    NOT NULL,
    project_code      TEXT,
    project_name      TEXT    NOT NULL,
    month_investment  DOUBLE PRECISION,
    ytd_investment    DOUBLE PRECISION,
    annual_plan       DOUBLE PRECISION,
    progress          TEXT,
    project_ref       TEXT    NOT NULL,
    status            TEXT,
    library_quarter   TEXT    NOT NULL,
    matched_by        TEXT,
    library_code      TEXT,
    entered_quarter   TEXT
);
CREATE INDEX IF NOT EXISTS ix_progress_month ON progress_month (month, unit);

-- Progress rows matching no dispatch-library project of the quarter: listed for a person, kept.
CREATE TABLE IF NOT EXISTS progress_review (
    month             TEXT    NOT NULL,
    unit              TEXT    NOT NULL,
    project_code      TEXT,
    project_name      TEXT    NOT NULL,
    library_quarter   TEXT    NOT NULL,
    reason            TEXT    NOT NULL
);

-- Every problem ever reported, its deadlines and its state as of the latest loaded month.
CREATE TABLE IF NOT EXISTS problems (
    problem_id      TEXT    NOT NULL,
    unit            TEXT    NOT NULL,
    project_code    TEXT,
    project_name    TEXT    NOT NULL,
    kind            TEXT,
    description     TEXT    NOT NULL,
    department      TEXT,
    raised_on       TEXT    NOT NULL,
    major           INTEGER NOT NULL,
    status          TEXT,
    closed_on       TEXT,
    assign_by       TEXT,
    feedback_by     TEXT,
    settle_by       TEXT,
    first_month     TEXT    NOT NULL,
    last_month      TEXT    NOT NULL,
    closed_month    TEXT,
    not_reported    INTEGER NOT NULL
);

-- Each open or just-closed problem as of each month's last day.
CREATE TABLE IF NOT EXISTS problems_month (
    month          TEXT    NOT NULL,
    problem_id     TEXT    NOT NULL,
    unit           TEXT    NOT NULL,
    department     TEXT,
    status         TEXT,
    closed_on      TEXT,
    settle_by      TEXT,
    overdue        INTEGER NOT NULL,
    days_overdue   INTEGER NOT NULL,
    closed_in_month INTEGER NOT NULL,
    not_reported   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_problems_month ON problems_month (month);

-- Per month and responsible department: what is pushed to the member departments.
CREATE TABLE IF NOT EXISTS department_month (
    month            TEXT    NOT NULL,
    department       TEXT    NOT NULL,
    open_problems    INTEGER NOT NULL,
    overdue_problems INTEGER NOT NULL,
    closed_problems  INTEGER NOT NULL
);

-- Per month and configured unit: the 本月进展 figures, and whether the unit reported at all.
CREATE TABLE IF NOT EXISTS progress_unit_month (
    month             TEXT    NOT NULL,
    unit              TEXT    NOT NULL,
    unit_order        INTEGER NOT NULL,
    reported          INTEGER NOT NULL,
    projects          INTEGER NOT NULL,
    month_investment  DOUBLE PRECISION,
    ytd_investment    DOUBLE PRECISION,
    annual_plan       DOUBLE PRECISION,
    ytd_share         DOUBLE PRECISION
);

-- Early warnings per month and project; reason: ytd_below_plan | no_new_investment | not_started.
CREATE TABLE IF NOT EXISTS early_warnings (
    month          TEXT    NOT NULL,
    unit           TEXT    NOT NULL,
    project_code   TEXT,
    project_name   TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    reason_text    TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_early_warnings ON early_warnings (month);
