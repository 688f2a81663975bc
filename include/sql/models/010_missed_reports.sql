-- 漏报: projects of the quarter's approved/energy lists (approved in the quarter's year, total at
-- or above the threshold) missing from the unit's dispatch library; signed projects missing from
-- the unit's reserve and dispatch libraries. One row per project and source list, described by
-- its first row in read order. Nothing is claimed missing against a library the unit has not
-- sent (unit_submissions): a unit that has not reported is not charged with 漏报.
-- Parameters: :quarter, :year_text, :threshold, :run_id
insert into missed_reports (
    quarter, unit, source_list, project_key, project_code, project_name, total_investment,
    file, row_number, run_id
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
    from project_rows as r
    where
        r.list in ('approved', 'energy')
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
    from project_rows as r
    where
        r.list = 'signed'
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
)

select
    quarter,
    unit,
    list as source_list,
    project_key,
    project_code,
    project_name,
    round(cast(total_investment as numeric), 2) as total_investment,
    file,
    row_number,
    cast(:run_id as text) as run_id
from first_rows
where rn = 1;
