-- The monthly 13710 dispatch (keyprojects.monthly). `month` is "2022-03"; amounts in 万元;
-- dates ISO.
-- load_audit, rejected_rows, skipped_rows and raw_rows take the month's progress rows with
-- list = 'progress' and the month in their `quarter` column.

-- The month's progress rows that passed validation, normalised. problem_id identifies a problem
-- (unit + project + normalised text + raised date) and is NULL on a row without a problem.
create table if not exists stg_progress (
    month text not null,
    file text not null,
    sheet text not null,
    row_number integer not null,
    sha256 text not null,
    run_id text,
    project_code text,
    project_name text not null,
    name_key text,
    project_ref text not null,
    unit text not null,
    status text,
    month_investment double precision,
    ytd_investment double precision,
    annual_plan double precision,
    progress text,
    problem text,
    problem_key text,
    problem_kind text,
    department text,
    raised_on text,
    major text,
    problem_status text,
    closed_on text,
    problem_id text
);
create index if not exists ix_stg_progress_month on stg_progress (month);

-- Calendar days for the 13710 deadlines (day_number counts days, so differences are portable).
create table if not exists cal_day (
    day text not null,
    day_number integer not null,
    month text not null,
    plus_month text not null
);
create index if not exists ix_cal_day on cal_day (day);
create index if not exists ix_cal_day_number on cal_day (day_number);

-- Each month's progress per project, matched to the dispatch library of the month's quarter.
create table if not exists progress_month (
    month text not null,
    unit text not null,
    project_code text,
    project_name text not null,
    month_investment double precision,
    ytd_investment double precision,
    annual_plan double precision,
    progress text,
    project_ref text not null,
    status text,
    library_quarter text not null,
    matched_by text,
    library_code text,
    entered_quarter text
);
create index if not exists ix_progress_month on progress_month (month, unit);

-- Progress rows matching no dispatch-library project of the quarter: listed for a person, kept.
create table if not exists progress_review (
    month text not null,
    unit text not null,
    project_code text,
    project_name text not null,
    library_quarter text not null,
    reason text not null
);

-- Every problem ever reported, its deadlines and its state as of the latest loaded month.
create table if not exists problems (
    problem_id text not null,
    unit text not null,
    project_code text,
    project_name text not null,
    kind text,
    description text not null,
    department text,
    raised_on text not null,
    major integer not null,
    status text,
    closed_on text,
    assign_by text,
    feedback_by text,
    settle_by text,
    first_month text not null,
    last_month text not null,
    closed_month text,
    not_reported integer not null
);

-- Each open or just-closed problem as of each month's last day. A problem no longer reported
-- (不再报送) is never overdue: days_not_reported counts the days since the last export listing
-- it; pending_days, the age of a problem still 待交办 (not charged to its department).
create table if not exists problems_month (
    month text not null,
    problem_id text not null,
    unit text not null,
    department text,
    status text,
    closed_on text,
    settle_by text,
    overdue integer not null,
    days_overdue integer not null,
    closed_in_month integer not null,
    not_reported integer not null,
    days_not_reported integer,
    pending_days integer
);
create index if not exists ix_problems_month on problems_month (month);

-- Per month and responsible department: what is pushed to the member departments.
create table if not exists department_month (
    month text not null,
    department text not null,
    open_problems integer not null,
    overdue_problems integer not null,
    closed_problems integer not null
);

-- Per month and configured unit: the 本月进展 figures, and whether the unit reported at all.
-- library_status: the unit's dispatch library in the quarter of the month (unit_submissions:
-- received / not_received; NULL before that quarter is built), so the workbook can say where
-- the 13710 export and the quarter disagree.
create table if not exists progress_unit_month (
    month text not null,
    unit text not null,
    unit_order integer not null,
    reported integer not null,
    projects integer not null,
    month_investment double precision,
    ytd_investment double precision,
    annual_plan double precision,
    ytd_share double precision,
    library_status text
);

-- Early warnings per month and project; reason: ytd_below_plan | no_new_investment | not_started.
create table if not exists early_warnings (
    month text not null,
    unit text not null,
    project_code text,
    project_name text not null,
    reason text not null,
    reason_text text not null
);
create index if not exists ix_early_warnings on early_warnings (month);
