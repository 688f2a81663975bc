-- 漏报 candidates: projects of the quarter's approved/energy lists (approved in the quarter's year,
-- total at or above the threshold) missing from the unit's dispatch library; signed projects
-- missing from the unit's reserve and dispatch libraries. One row per project and source list,
-- described by its first row in read order. Nothing is claimed missing against a library the unit
-- has not sent (unit_submissions): a unit that has not reported is not charged with 漏报.
-- Each candidate gets its category (docs/rules.md, '漏报, 退回待改, 待核实'), first that applies:
--   returned (退回待改): a rejected row of the unit's reserve or dispatch library
--     (int_rejected_library_rows) carries the project's code, or one of the names the project's
--     rows of the unit carry; the first such row in read order is cited;
--   unconfirmed (待核实): the unit's libraries hold a project with a near-identical name
--     (int_library_candidate, similarity at or above :near_miss_threshold);
--   missed (漏报): the rest, the only ones counted as 漏报 (model 014_missed_reports).
-- approvals and signings read int_project_rows itself: a CTE of every column that several
-- CTEs read is materialised whole by SQLite (the quarter's rows copied once more).
-- Parameters: :quarter, :year_text, :threshold, :near_miss_threshold, :run_id
insert into int_missed_candidates (
    quarter, unit, source_list, project_key, project_code, project_name, total_investment,
    file, row_number, category, returned_list, returned_file, returned_sheet, returned_row_number,
    returned_rule, run_id
)
with

project_rows as (
    select * from int_project_rows
    where quarter = :quarter
),

received as (
    select
        unit,
        list
    from unit_submissions
    where quarter = :quarter and status = 'received'
),

approvals as (
    select r.*
    from int_project_rows as r
    where
        r.quarter = :quarter
        and r.list in ('approved', 'energy')
        and r.total_investment >= :threshold
        and (r.approval_date is null or substr(r.approval_date, 1, 4) = :year_text)
        and exists (
            select 1 from received as s
            where s.unit = r.unit and s.list = 'dispatch'
        )
        and not exists (
            select 1 from int_project_rows as d
            where
                d.quarter = r.quarter and d.list = 'dispatch' and d.unit = r.unit
                and d.project_key = r.project_key
        )
),

signings as (
    select r.*
    from int_project_rows as r
    where
        r.quarter = :quarter
        and r.list = 'signed'
        and r.total_investment >= :threshold
        and exists (
            select 1 from received as s
            where s.unit = r.unit and s.list = 'dispatch'
        )
        and exists (
            select 1 from received as s
            where s.unit = r.unit and s.list = 'reserve'
        )
        and not exists (
            select 1 from int_project_rows as d
            where
                d.quarter = r.quarter and d.list in ('reserve', 'dispatch') and d.unit = r.unit
                and d.project_key = r.project_key
        )
),

missing as (
    select * from approvals
    union all
    select * from signings
),

first_rows as (
    select
        m.*,
        row_number() over (partition by m.unit, m.list, m.project_key order by m.seq) as rn
    from missing as m
),

candidates as (
    select * from first_rows
    where rn = 1
),

rejected as (
    select
        list,
        file,
        sheet,
        row_number,
        seq,
        rule,
        unit,
        project_code,
        name_key
    from int_rejected_library_rows
    where quarter = :quarter
),

-- the names each candidate's rows carry in its unit (a project matched by code may be written
-- in several ways)
candidate_names as (
    select distinct
        p.unit,
        p.project_key,
        p.name_key
    from project_rows as p
    where
        p.name_key is not null
        and exists (
            select 1 from candidates as c
            where c.unit = p.unit and c.project_key = p.project_key
        )
),

rejected_matches as (
    select
        c.unit,
        c.project_key,
        r.list,
        r.file,
        r.sheet,
        r.row_number,
        r.rule,
        r.seq
    from candidates as c
    inner join rejected as r
        on c.unit = r.unit and c.project_key = 'C:' || r.project_code
    union all
    select
        n.unit,
        n.project_key,
        r.list,
        r.file,
        r.sheet,
        r.row_number,
        r.rule,
        r.seq
    from candidate_names as n
    inner join rejected as r on n.unit = r.unit and n.name_key = r.name_key
),

returned as (
    select
        unit,
        project_key,
        list,
        file,
        sheet,
        row_number,
        rule,
        row_number() over (partition by unit, project_key order by seq) as rn
    from rejected_matches
),

near_identical as (
    select
        unit,
        project_key
    from int_library_candidate
    where quarter = :quarter and candidate_similarity >= :near_miss_threshold
)

select
    c.quarter,
    c.unit,
    c.list as source_list,
    c.project_key,
    c.project_code,
    c.project_name,
    round(cast(c.total_investment as numeric), 2) as total_investment,
    c.file,
    c.row_number,
    case
        when r.project_key is not null then 'returned'
        when s.project_key is not null then 'unconfirmed'
        else 'missed'
    end as category,
    r.list as returned_list,
    r.file as returned_file,
    r.sheet as returned_sheet,
    r.row_number as returned_row_number,
    r.rule as returned_rule,
    cast(:run_id as text) as run_id
from candidates as c
left join returned as r
    on c.unit = r.unit and c.project_key = r.project_key and r.rn = 1
left join near_identical as s on c.unit = s.unit and c.project_key = s.project_key;
