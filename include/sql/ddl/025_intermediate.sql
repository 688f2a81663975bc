-- Intermediate layer: one project across the lists (keyprojects.matching) and configuration
-- dimensions the mart models join (rebuilt from config/*.toml on every run).

create table if not exists int_project_master (
    project_key text primary key,
    project_code text,
    unit text not null,
    project_name text not null,
    name_key text,
    first_quarter text not null,
    quarters integer
);

create table if not exists int_project_rows (
    quarter text not null,
    list text not null,
    project_key text not null,
    seq integer not null,
    file text not null,
    sheet text not null,
    row_number integer not null,
    project_code text,
    project_name text not null,
    name_key text,
    unit text not null,
    nature text,
    status text,
    cluster text,
    cluster_text text,
    total_investment double precision,
    ytd_investment double precision,
    approval_date text,
    signing_date text,
    start_date text,
    owner text,
    registered_flag text,
    run_id text
);
create index if not exists ix_int_project_rows on int_project_rows (
    quarter, list, unit, project_key
);

create table if not exists int_match_review (
    quarter text not null,
    unit text not null,
    similarity double precision,
    reason text,
    list_a text,
    project_key_a text,
    project_name_a text,
    file_a text,
    row_number_a integer,
    list_b text,
    project_key_b text,
    project_name_b text,
    file_b text,
    row_number_b integer,
    run_id text
);
create index if not exists ix_int_match_review on int_match_review (quarter);

-- The unit libraries' rejected rows of a quarter, identified as loaded rows are
-- (keyprojects.matching: the unit of the row's own unit cell, normalised code and name); rows
-- that identify nothing are left out. The 漏报 candidates that match one are 退回待改, not
-- 漏报 (model 014).
create table if not exists int_rejected_library_rows (
    quarter text not null,
    list text not null,
    file text not null,
    sheet text not null,
    row_number integer not null,
    seq integer not null,
    rule text,
    unit text not null,
    project_code text,
    project_name text,
    name_key text,
    run_id text
);
create index if not exists ix_int_rejected_library_rows on int_rejected_library_rows (
    quarter, unit, name_key
);

-- Every 漏报 candidate of a quarter (a bureau-listed project missing from the unit's libraries, one
-- row per project and source list) with its category: missed (漏报, counted), returned (退回待改:
-- it matches a rejected row of the unit's reserve or dispatch library, cited by returned_*) or
-- unconfirmed (待核实: a library project of the unit has a near-identical name). missed_reports
-- holds the missed ones.
create table if not exists int_missed_candidates (
    quarter text not null,
    unit text not null,
    source_list text not null,
    project_key text not null,
    project_code text,
    project_name text not null,
    total_investment double precision,
    file text,
    row_number integer,
    category text not null,
    returned_list text,
    returned_file text,
    returned_sheet text,
    returned_row_number integer,
    returned_rule text,
    run_id text,
    primary key (quarter, unit, source_list, project_key)
);

create table if not exists cfg_unit (
    year integer not null,
    unit text not null,
    unit_order integer not null,
    zone_group text,
    target_growth double precision,
    ranked integer not null
);

create table if not exists cfg_nature (
    nature text not null,
    nature_group text not null
);

create table if not exists cfg_status (
    status text not null,
    started integer not null
);

-- Per quarter, each project's facts across the lists: which lists hold it, and its status, total,
-- year-to-date completed and registration as the lists report them (dispatch first for status and
-- total, the registered list for year-to-date).
create table if not exists int_project_quarter (
    quarter text not null,
    project_key text not null,
    unit text not null,
    project_code text,
    project_name text not null,
    in_reserve integer not null,
    in_dispatch integer not null,
    in_signed integer not null,
    in_approved integer not null,
    in_energy integer not null,
    in_registered integer not null,
    status text,
    started integer,
    total_investment double precision,
    ytd_investment double precision,
    run_id text
);
create index if not exists ix_int_project_quarter on int_project_quarter (quarter, unit);

-- The first row of each project of a quarter in the lists the 漏报 come from (立项, 能源, 签约 in
-- that order, then read order), with the date and owner the 漏报 sheet shows. Its own table so that
-- missed_projects looks a project up by key (a CTE join was planned as a nested scan on SQLite).
create table if not exists int_project_first_source (
    quarter text not null,
    unit text not null,
    project_key text not null,
    source_date text,
    owner text,
    run_id text,
    primary key (quarter, unit, project_key)
);

-- For each project of a quarter with a near miss (int_match_review), the most similar project of
-- its unit's reserve or dispatch library: the 漏报 sheet's 疑似对应在库项目 (looked up by key).
create table if not exists int_library_candidate (
    quarter text not null,
    unit text not null,
    project_key text not null,
    candidate_name text,
    candidate_similarity double precision,
    run_id text,
    primary key (quarter, unit, project_key)
);
