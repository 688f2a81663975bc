-- 本月进展: per loaded month and configured unit (plan order), the projects reported, the
-- month's and year-to-date investment and year-to-date against the annual plan. reported = 0
-- lists the unit under 未报送 (no progress row loaded for the month). library_status: the
-- unit's dispatch library in the month's quarter (unit_submissions), for the note where the two
-- sources disagree; they stay apart otherwise.
insert into progress_unit_month (
    month, unit, unit_order, reported, projects, month_investment, ytd_investment, annual_plan,
    ytd_share, library_status
)
with

months as (
    select distinct
        month,
        cast(substr(month, 1, 4) as integer) as year,
        substr(month, 1, 4) || 'Q'
        || cast((cast(substr(month, 6, 2) as integer) + 2) / 3 as text) as quarter
    from stg_progress
),

libraries as (
    select
        quarter,
        unit,
        status
    from unit_submissions
    where list = 'dispatch'
),

units as (
    select
        m.month,
        m.quarter,
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
    case when p.annual_plan > 0 then p.ytd_investment / p.annual_plan end as ytd_share,
    l.status as library_status
from units as u
left join per_unit as p on u.month = p.month and u.unit = p.unit
left join libraries as l on u.quarter = l.quarter and u.unit = l.unit;
