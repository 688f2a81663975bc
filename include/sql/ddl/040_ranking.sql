-- The year-end ranking (年度考评, contract.md): one row per configured unit and year, written by the
-- year's Q4 run (include/sql/models/ranking/). Values and points per indicator; a unit that is not
-- ranked (五台山风景名胜区) has its values but no points, score or rank. rank_change is
-- previous_rank - rank (positive: moved up), NULL where the previous year has no rank for the
-- unit.
create table if not exists ranking_unit_year (
    year integer not null,
    unit text not null,
    unit_order integer,
    ranked boolean not null,
    industrial_growth_gap_value double precision,
    industrial_growth_gap_points double precision,
    renovation_growth_value double precision,
    renovation_growth_points double precision,
    start_rate_value double precision,
    start_rate_points double precision,
    registration_rate_value double precision,
    registration_rate_points double precision,
    large_projects_value double precision,
    large_projects_points double precision,
    cluster_projects_value double precision,
    cluster_projects_points double precision,
    missed_reports integer,
    returned_reports integer,
    unconfirmed_reports integer,
    industrial_investment double precision,
    deduction double precision,
    score double precision,
    rank integer,
    previous_rank integer,
    rank_change integer,
    note text,
    quarter text,
    run_id text
);
create index if not exists ix_ranking_unit_year on ranking_unit_year (year);

-- The ranking's indicators and weights (config/ranking.toml), replaced before each ranking run.
create table if not exists cfg_ranking_indicator (
    indicator text not null,
    indicator_order integer not null,
    label text not null,
    weight double precision not null
);
