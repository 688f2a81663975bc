-- Which units sent their libraries (reserve, dispatch) this quarter: one row per configured unit
-- and library. A unit with no loaded row of a library has not reported it (not_received), also
-- when other units' files of that library arrived; files counts the files holding its rows.
-- Parameters: :quarter, :year, :run_id
insert into unit_submissions (quarter, unit, list, files, rows_loaded, status, run_id)
with

units as (
    select unit from cfg_unit
    where year = :year
),

libraries as (
    select list from cfg_list
    where list in ('reserve', 'dispatch')
),

reserve_rows as (
    select
        unit,
        file
    from stg_reserve
    where quarter = :quarter
),

dispatch_rows as (
    select
        unit,
        file
    from stg_dispatch
    where quarter = :quarter
),

library_rows as (
    select
        'reserve' as list,
        unit,
        file
    from reserve_rows
    union all
    select
        'dispatch' as list,
        unit,
        file
    from dispatch_rows
),

per_unit as (
    select
        list,
        unit,
        count(distinct file) as files,
        count(*) as rows_loaded
    from library_rows
    group by list, unit
)

select
    cast(:quarter as text) as quarter,
    u.unit,
    l.list,
    coalesce(p.files, 0) as files,
    coalesce(p.rows_loaded, 0) as rows_loaded,
    case when p.rows_loaded > 0 then 'received' else 'not_received' end as status,
    cast(:run_id as text) as run_id
from units as u
cross join libraries as l
left join per_unit as p on l.list = p.list and u.unit = p.unit;
