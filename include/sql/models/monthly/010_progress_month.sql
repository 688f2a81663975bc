-- Each loaded month's progress rows, matched to a dispatch library: the month's quarter's, or,
-- before that library has arrived, the latest loaded library of an earlier quarter
-- (library_quarter names it; the workbook says so). By project code first, else by normalised
-- name within the unit when exactly one library project of the unit carries it.
-- entered_quarter: the first loaded quarter whose dispatch library holds the project (by code,
-- or by name in the unit; also when this quarter's row did not match).
-- Rebuilt for all months (problems and warnings span months).
insert into progress_month (
    month, unit, project_code, project_name, month_investment, ytd_investment, annual_plan,
    progress, project_ref, status, library_quarter, matched_by, library_code, entered_quarter
)
with

library_quarters as (
    select distinct quarter from stg_dispatch
),

month_rows as (
    select
        p.*,
        substr(p.month, 1, 4) || 'Q'
        || cast((cast(substr(p.month, 6, 2) as integer) + 2) / 3 as text) as month_quarter
    from stg_progress as p
),

progress as (
    select
        r.*,
        coalesce(
            (
                select max(lq.quarter) from library_quarters as lq
                where lq.quarter <= r.month_quarter
            ),
            r.month_quarter
        ) as library_quarter
    from month_rows as r
),

dispatch as (
    select
        quarter,
        project_code,
        unit,
        name_key,
        status
    from stg_dispatch
),

by_code as (
    select
        quarter,
        project_code,
        max(status) as status
    from dispatch
    where project_code is not null
    group by quarter, project_code
),

by_name as (
    select
        quarter,
        unit,
        name_key,
        max(project_code) as project_code,
        max(status) as status
    from dispatch
    where name_key is not null
    group by quarter, unit, name_key
    having count(*) = 1
),

matched as (
    select
        p.*,
        case
            when c.project_code is not null then 'code'
            when n.name_key is not null then 'name'
        end as matched_by,
        coalesce(c.project_code, n.project_code) as library_code,
        coalesce(c.status, n.status) as library_status
    from progress as p
    left join by_code as c
        on p.library_quarter = c.quarter and p.project_code = c.project_code
    left join by_name as n
        on
            p.library_quarter = n.quarter and p.unit = n.unit and p.name_key = n.name_key
            and c.project_code is null
)

select
    m.month,
    m.unit,
    m.project_code,
    m.project_name,
    m.month_investment,
    m.ytd_investment,
    m.annual_plan,
    m.progress,
    m.project_ref,
    coalesce(m.status, m.library_status) as status,
    m.library_quarter,
    m.matched_by,
    m.library_code,
    (
        select min(d.quarter)
        from dispatch as d
        where
            d.project_code = coalesce(m.library_code, m.project_code)
            or (d.unit = m.unit and d.name_key = m.name_key)
    ) as entered_quarter
from matched as m;

-- Progress rows matching no dispatch-library project of the quarter: kept, listed for review.
insert into progress_review (month, unit, project_code, project_name, library_quarter, reason)
select
    pm.month,
    pm.unit,
    pm.project_code,
    pm.project_name,
    pm.library_quarter,
    case
        when
            exists (
                select 1 from stg_dispatch as d
                where d.quarter = pm.library_quarter
            )
            then 'not_in_dispatch_library'
        else 'dispatch_library_not_loaded'
    end as reason
from progress_month as pm
where pm.matched_by is null;
