-- Which units sent their libraries (reserve, dispatch) this quarter: one row per configured unit
-- and library. Received has one definition (ingest.arrivals.senders_of; docs/rules.md,
-- "Received"): a file is received from the units its data rows name, loaded or rejected, as the
-- load and the sensor store it per file in inbox_file_units (units: a JSON list of names). The
-- quarter's files are the library files the load read (load_audit: loaded or superseded). So a
-- unit all of whose rows were rejected has sent its library (received, its rows in the 退回清单),
-- and an empty template or a file of notes only is received from no one. files counts the files
-- received from the unit; rows_loaded its loaded rows.
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

library_files as (
    select distinct
        list,
        file,
        sha256
    from load_audit
    where
        quarter = :quarter
        and list in ('reserve', 'dispatch')
        and status in ('loaded', 'superseded')
),

file_units as (
    select distinct
        f.list,
        f.file,
        u.unit
    from library_files as f
    inner join inbox_file_units as s on f.sha256 = s.sha256 and f.list = s.list
    inner join units as u on s.units like '%"' || u.unit || '"%'
),

received as (
    select
        list,
        unit,
        count(*) as files
    from file_units
    group by list, unit
),

library_rows as (
    select
        'reserve' as list,
        unit
    from stg_reserve
    where quarter = :quarter
    union all
    select
        'dispatch' as list,
        unit
    from stg_dispatch
    where quarter = :quarter
),

loaded as (
    select
        list,
        unit,
        count(*) as rows_loaded
    from library_rows
    group by list, unit
)

select
    cast(:quarter as text) as quarter,
    u.unit,
    l.list,
    coalesce(r.files, 0) as files,
    coalesce(d.rows_loaded, 0) as rows_loaded,
    case when r.files > 0 then 'received' else 'not_received' end as status,
    cast(:run_id as text) as run_id
from units as u
cross join libraries as l
left join received as r on l.list = r.list and u.unit = r.unit
left join loaded as d on l.list = d.list and u.unit = d.unit;
