-- The project master: every project key ever matched, described by its first row (earliest
-- quarter, then read order). Rebuilt whole from int_project_rows, so it does not depend on the
-- order in which quarters were processed and mirrors what is loaded. Both CTEs read the table
-- itself: one CTE of every column read twice is materialised whole by SQLite.
-- Parameters: none
delete from int_project_master;

insert into int_project_master (
    project_key, project_code, unit, project_name, name_key, first_quarter, quarters
)
with

ordered as (
    select
        project_key,
        unit,
        project_name,
        name_key,
        quarter,
        row_number() over (partition by project_key order by quarter, seq) as rn
    from int_project_rows
),

seen as (
    select
        project_key,
        count(distinct quarter) as quarters
    from int_project_rows
    group by project_key
)

select
    o.project_key,
    case when o.project_key like 'C:%' then substr(o.project_key, 3) end as project_code,
    o.unit,
    o.project_name,
    o.name_key,
    o.quarter as first_quarter,
    s.quarters
from ordered as o
inner join seen as s on o.project_key = s.project_key
where o.rn = 1;
