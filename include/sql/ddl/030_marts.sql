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
