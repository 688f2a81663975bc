-- Each project's facts in the quarter (one row per project key and unit), from int_project_rows,
-- in one pass: window aggregates over the project's rows, described by its first row in read
-- order (the row whose seq is the least of its project's: seq is unique in a quarter; one window,
-- so one sort, where row_number() ordered by seq needed a second). The code is the key's (a
-- project matched by name to a coded row has that code).
-- Parameters: :quarter, :run_id
insert into int_project_quarter (
    quarter, project_key, unit, project_code, project_name, in_reserve, in_dispatch, in_signed,
    in_approved, in_energy, in_registered, status, started, total_investment, ytd_investment,
    run_id
)
with

project_rows as (
    select * from int_project_rows
    where quarter = :quarter
),

statuses as (
    select
        status,
        started
    from cfg_status
),

facts as (
    select
        r.quarter,
        r.project_key,
        r.unit,
        r.project_name,
        r.seq,
        min(r.seq) over w as first_seq,
        max(case when r.list = 'reserve' then 1 else 0 end) over w as in_reserve,
        max(case when r.list = 'dispatch' then 1 else 0 end) over w as in_dispatch,
        max(case when r.list = 'signed' then 1 else 0 end) over w as in_signed,
        max(case when r.list = 'approved' then 1 else 0 end) over w as in_approved,
        max(case when r.list = 'energy' then 1 else 0 end) over w as in_energy,
        max(case when r.list = 'registered' then 1 else 0 end) over w as in_registered,
        max(case when r.list = 'dispatch' then r.status end) over w as dispatch_status,
        max(case when r.list = 'dispatch' then r.total_investment end) over w as dispatch_total,
        max(r.total_investment) over w as any_total,
        max(case when r.list = 'registered' then r.ytd_investment end) over w as registered_ytd
    from project_rows as r
    window w as (partition by r.project_key, r.unit)
)

select
    f.quarter,
    f.project_key,
    f.unit,
    case when f.project_key like 'C:%' then substr(f.project_key, 3) end as project_code,
    f.project_name,
    f.in_reserve,
    f.in_dispatch,
    f.in_signed,
    f.in_approved,
    f.in_energy,
    f.in_registered,
    f.dispatch_status as status,
    s.started,
    coalesce(f.dispatch_total, f.any_total) as total_investment,
    f.registered_ytd as ytd_investment,
    cast(:run_id as text) as run_id
from facts as f
left join statuses as s on f.dispatch_status = s.status
where f.seq = f.first_seq;
