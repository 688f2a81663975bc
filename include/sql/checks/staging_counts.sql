-- Each unit's counts and amounts against staging: rows of its libraries (unit_submissions) against
-- stg_reserve / stg_dispatch; dispatch projects against the distinct project keys of its dispatch
-- rows; industrial investment against the sum of stg_registered, rounded to 2 decimals as the mart
-- stores it (like with like: a sum ending in .xx5 is not a mismatch). mismatch = 1 where they
-- differ.
-- Parameters: :quarter
with

unit_rows as (
    select
        unit,
        dispatch_status,
        dispatch_projects,
        industrial_investment
    from bulletin_unit_quarter
    where quarter = :quarter
),

submissions as (
    select
        unit,
        list,
        rows_loaded
    from unit_submissions
    where quarter = :quarter
),

reserve_rows as (
    select unit from stg_reserve
    where quarter = :quarter
),

dispatch_rows as (
    select unit from stg_dispatch
    where quarter = :quarter
),

registered_rows as (
    select
        unit,
        ytd_investment
    from stg_registered
    where quarter = :quarter
),

project_rows as (
    select
        unit,
        project_key
    from int_project_rows
    where quarter = :quarter and list = 'dispatch'
),

staged as (
    select
        'reserve' as list,
        unit,
        count(*) as n
    from reserve_rows
    group by unit
    union all
    select
        'dispatch' as list,
        unit,
        count(*) as n
    from dispatch_rows
    group by unit
),

keys as (
    select
        unit,
        count(distinct project_key) as n
    from project_rows
    group by unit
),

invested as (
    select
        unit,
        sum(ytd_investment) as amount
    from registered_rows
    group by unit
),

pairs as (
    select
        s.unit,
        'rows_loaded_' || s.list as figure,
        s.rows_loaded as mart,
        coalesce(g.n, 0) as staging
    from submissions as s
    left join staged as g on s.unit = g.unit and s.list = g.list
    union all
    select
        u.unit,
        'dispatch_projects' as figure,
        u.dispatch_projects as mart,
        -- a unit that sent its library with no row loaded (all rejected) has 0 projects
        coalesce(k.n, 0) as staging
    from unit_rows as u
    left join keys as k on u.unit = k.unit
    where u.dispatch_status = 'received'
    union all
    select
        u.unit,
        'industrial_investment' as figure,
        u.industrial_investment as mart,
        round(cast(coalesce(i.amount, 0) as numeric), 2) as staging
    from unit_rows as u
    left join invested as i on u.unit = i.unit
    where u.industrial_investment is not null
)

select
    unit,
    figure,
    mart,
    staging,
    case
        when mart is null or staging is null then 1
        when abs(mart - staging) > 0.0001 then 1 else 0
    end as mismatch
from pairs
