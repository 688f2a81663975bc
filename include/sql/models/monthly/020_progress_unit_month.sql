-- 本月进展: per loaded month and configured unit (plan order), the projects reported, the
-- month's and year-to-date investment and year-to-date against the annual plan. reported = 0
-- lists the unit under 未报送 (no progress row loaded for the month).
insert into progress_unit_month (
    month, unit, unit_order, reported, projects, month_investment, ytd_investment, annual_plan,
    ytd_share
)
with

months as (
    select distinct
        month,
        cast(substr(month, 1, 4) as integer) as year
    from stg_progress
),

units as (
    select
        m.month,
        u.unit,
        u.unit_order
    from months as m
    inner join cfg_unit as u on m.year = u.year
),

per_unit as (
    select
        month,
        unit,
        count(*) as projects,
        sum(month_investment) as month_investment,
        sum(ytd_investment) as ytd_investment,
        sum(annual_plan) as annual_plan
    from progress_month
    group by month, unit
)

select
    u.month,
    u.unit,
    u.unit_order,
    case when p.unit is null then 0 else 1 end as reported,
    coalesce(p.projects, 0) as projects,
    p.month_investment,
    p.ytd_investment,
    p.annual_plan,
    case when p.annual_plan > 0 then p.ytd_investment / p.annual_plan end as ytd_share
from units as u
left join per_unit as p on u.month = p.month and u.unit = p.unit;
