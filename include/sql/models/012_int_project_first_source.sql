-- The first row of each project of the quarter in the lists the 漏报 come from: 立项 (approved),
-- 能源 (energy), then 签约 (signed), each in read order (seq); its date (the 签约 date of a
-- signing, else the 立项 date) and owner. One row per unit and project; model 015 looks it up.
-- Parameters: :quarter, :run_id
insert into int_project_first_source (quarter, unit, project_key, source_date, owner, run_id)
with

project_rows as (
    select
        list,
        unit,
        project_key,
        seq,
        approval_date,
        signing_date,
        owner
    from int_project_rows
    where quarter = :quarter and list in ('approved', 'energy', 'signed')
),

ranked as (
    select
        unit,
        project_key,
        case when list = 'signed' then signing_date else approval_date end as source_date,
        owner,
        row_number() over (
            partition by unit, project_key
            order by case list when 'approved' then 1 when 'energy' then 2 else 3 end, seq
        ) as rn
    from project_rows
)

select
    cast(:quarter as text) as quarter,
    unit,
    project_key,
    source_date,
    owner,
    cast(:run_id as text) as run_id
from ranked
where rn = 1;
