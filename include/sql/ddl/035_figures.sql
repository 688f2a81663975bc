-- Figures: configuration tables the models join, the submissions of the units' libraries, the
-- review of cluster words, and the marts of the bulletin beyond one row per unit
-- (zone-group and city totals, the header, the 漏报 projects as the bulletin lists them).

-- The year's city targets (config/targets/<year>.toml), one row per indicator and measure.
-- measure: amount (万元) | growth | count | share; strict = 1 means "greater than", not ">=".
create table if not exists cfg_target (
    year integer not null,
    indicator text not null,
    label text,
    measure text not null,
    target double precision not null,
    strict integer not null,
    indicator_order integer not null,
    measure_order integer not null,
    primary key (year, indicator, measure)
);

-- The lists (config/lists.toml): their Chinese titles, canonical order and sender (source).
create table if not exists cfg_list (
    list text not null primary key,
    title text not null,
    list_order integer not null,
    source text
);

-- The zone groups of the plan, in bulletin order (config/units.toml).
create table if not exists cfg_zone_group (
    zone_group text not null primary key,
    group_order integer not null
);

-- The bulletin's fixed texts (config/bulletin.toml): the issuing body.
create table if not exists cfg_bulletin (
    issuer text not null
);

-- contract.md: one row per unit and unit library (reserve, dispatch) per quarter.
create table if not exists unit_submissions (
    quarter text not null,
    unit text not null,
    list text not null,
    files integer not null,
    rows_loaded integer not null,
    status text not null,
    run_id text,
    primary key (quarter, unit, list)
);

-- Cluster words of the dispatch libraries that are not configured clusters (config/clusters.toml),
-- with how many projects and rows carry them: for a person to add to the list or fix.
create table if not exists int_cluster_review (
    quarter text not null,
    unit text not null,
    cluster_word text not null,
    projects integer not null,
    rows_seen integer not null,
    run_id text,
    primary key (quarter, unit, cluster_word)
);

-- Zone-group subtotals and the 全市合计 row: the same figures as bulletin_unit_quarter, summed
-- from the units' numerators and denominators. group_kind: zone_group | city.
create table if not exists bulletin_group_quarter (
    quarter text not null,
    group_kind text not null,
    group_name text not null,
    group_order integer not null,
    units integer,
    units_not_reported integer,
    dispatch_projects integer,
    dispatch_total_investment double precision,
    industrial_investment double precision,
    industrial_investment_prev double precision,
    industrial_growth double precision,
    target_growth double precision,
    growth_gap double precision,
    growth_attained integer,
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
    returned_reports integer,
    unconfirmed_reports integer,
    run_id text,
    primary key (quarter, group_kind, group_name)
);

-- The bulletin's header: issuing body, data cut-off (the quarter's last day) and tabulation date
-- (the latest date the quarter's loaded rows carry, never before the cut-off; never the clock).
create table if not exists bulletin_quarter (
    quarter text not null primary key,
    issuer text not null,
    data_cutoff text not null,
    tabulated_on text not null,
    units_not_reported integer,
    run_id text
);

-- The 漏报 sheet: one row per unit and project of the 漏报 candidates, with its category
-- (missed, returned 退回待改 with the rejected row it matched, unconfirmed 待核实), its source
-- lists joined (签约、立项、能源), dates and owner from its first row, and the closest library
-- project a person should compare (a near miss of int_match_review), with its similarity.
create table if not exists missed_projects (
    quarter text not null,
    unit text not null,
    project_key text not null,
    project_code text,
    project_name text not null,
    total_investment double precision,
    sources text not null,
    source_date text,
    owner text,
    candidate_name text,
    candidate_similarity double precision,
    category text,
    returned_list text,
    returned_file text,
    returned_sheet text,
    returned_row_number integer,
    returned_rule text,
    run_id text,
    primary key (quarter, unit, project_key)
);

-- Attainment (达标/完成) judged once, at the precision the office reads (models/055_attainment.sql):
-- every unit's and group's industrial growth against its target, and every city target. actual and
-- target as judged (growth and share as fractions; city amounts in 亿元 as 全市目标 shows them);
-- *_printed as compared: growth and share in percent at one decimal, amounts and counts as shown.
-- scope: unit | zone_group | city | city_target. incomplete = 1: some units' data are missing.
create table if not exists int_attainment (
    quarter text not null,
    scope text not null,
    subject text not null,
    indicator text not null,
    measure text not null,
    actual double precision,
    target double precision,
    strict integer not null,
    incomplete integer not null,
    actual_printed double precision,
    target_printed double precision,
    attained integer,
    run_id text,
    primary key (quarter, scope, subject, indicator, measure)
);
