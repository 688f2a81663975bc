-- 未入统: started dispatch-library projects that are not in the unit's registered list (only
-- when both lists have arrived). One row per project, described by its first dispatch row in read
-- order, with its nature, status and start date.
-- Parameters: :quarter, :run_id
insert into unregistered_projects (
    quarter, unit, project_key, project_code, project_name, nature, status, start_date,
    total_investment, run_id
)
with

dispatch_rows as (
    select * from int_project_rows
    where quarter = :quarter and list = 'dispatch'
),

statuses as (
    select status from cfg_status
    where started = 1
),

registered_loaded as (
    select 1 as loaded
    from load_audit
    where quarter = :quarter and list = 'registered' and status = 'loaded'
    group by list
),

unregistered as (
    select
        d.*,
        row_number() over (partition by d.unit, d.project_key order by d.seq) as rn
    from dispatch_rows as d
    inner join statuses as s on d.status = s.status
    cross join registered_loaded
    where not exists (
        select 1 from int_project_rows as g
        where
            g.quarter = d.quarter and g.list = 'registered' and g.unit = d.unit
            and g.project_key = d.project_key
    )
)

select
    quarter,
    unit,
    project_key,
    project_code,
    project_name,
    nature,
    status,
    start_date,
    round(cast(total_investment as numeric), 2) as total_investment,
    cast(:run_id as text) as run_id
from unregistered
where rn = 1;
