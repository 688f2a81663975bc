-- Marts: the quarter's figures (contract.md). Amounts in 万元; rates and growth as fractions;
-- a figure that cannot be computed is NULL (with the reason in a *_note column where it helps).

create table if not exists bulletin_unit_quarter (
    quarter text not null,
    unit text not null,
    unit_order integer,
    zone_group text,
    reserve_status text,
    dispatch_status text,
    dispatch_projects integer,
    dispatch_total_investment double precision,
    industrial_investment double precision,
    industrial_investment_prev double precision,
    industrial_growth double precision,
    target_growth double precision,
    growth_gap double precision,
    growth_attained integer,
    growth_rank integer,
    newbuild_investment double precision,
    newbuild_investment_prev double precision,
    newbuild_growth double precision,
    renovation_investment double precision,
    renovation_investment_prev double precision,
    renovation_growth double precision,
    started_projects integer,
    start_rate double precision,
    registered_projects integer,
    registration_rate double precision,
    missed_reports integer,
    yiyuan_projects integer,
    yiyuan_share double precision,
    cluster_projects integer,
    cluster_share double precision,
    cluster_unknown_projects integer,
    note text,
    -- 漏报 candidates not counted as 漏报 (docs/rules.md): 退回待改 (its library row was rejected)
    -- and 待核实 (a near-identical project is in the unit's library)
    returned_reports integer,
    unconfirmed_reports integer,
    run_id text,
    primary key (quarter, unit)
);
create index if not exists ix_bulletin_unit_quarter on bulletin_unit_quarter (quarter);

create table if not exists missed_reports (
    quarter text not null,
    unit text not null,
    source_list text not null,
    project_key text,
    project_code text,
    project_name text not null,
    total_investment double precision,
    file text,
    row_number integer,
    run_id text,
    primary key (quarter, unit, source_list, project_key)
);
create index if not exists ix_missed_reports on missed_reports (quarter);

create table if not exists unregistered_projects (
    quarter text not null,
    unit text not null,
    project_key text not null,
    project_code text,
    project_name text not null,
    nature text,
    status text,
    start_date text,
    total_investment double precision,
    run_id text,
    primary key (quarter, unit, project_key)
);
create index if not exists ix_unregistered_projects on unregistered_projects (quarter);

create table if not exists city_targets (
    quarter text not null,
    indicator text not null,
    label text,
    measure text not null,
    target double precision,
    actual double precision,
    attained integer,
    indicator_order integer,
    measure_order integer,
    shown_unit text,
    target_shown double precision,
    actual_shown double precision,
    progress double precision,
    note text,
    run_id text,
    primary key (quarter, indicator, measure)
);
create index if not exists ix_city_targets on city_targets (quarter);
-- ranking_unit_year: see 040_ranking.sql

-- 报送质量 (contract.md): each sender's reporting of the quarter, one row per sender and list
-- (model 070). sender_kind: unit | bureau | unknown (library rows no unit is found for).
-- received_at: China time of the latest receipt of its current files; on_time / days_late against
-- the deadline (KP_LIST_DEADLINE_DAYS after the quarter's end, midnight UTC+8); on_time 0 and
-- days_late NULL when nothing was received. rejection_rate: rejected / (loaded + rejected).
-- top_rule: its most frequent rejection rule. missed_reports / unregistered_projects: the unit's
-- counts (NULL for bureaus), on each of its rows.
create table if not exists submission_quality (
    quarter text not null,
    sender text not null,
    list text not null,
    sender_kind text not null,
    received_at text,
    on_time integer,
    days_late integer,
    files integer not null,
    resubmissions integer not null,
    rows_read integer not null,
    rows_loaded integer not null,
    rows_rejected integer not null,
    rows_skipped integer not null,
    rejection_rate double precision,
    top_rule text,
    top_rule_rows integer,
    missed_reports integer,
    unregistered_projects integer,
    run_id text,
    primary key (quarter, sender, list)
);
create index if not exists ix_submission_quality on submission_quality (quarter);
