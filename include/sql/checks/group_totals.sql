-- Each zone-group subtotal and the 全市合计 row against the sum of their units, figure by figure:
-- mismatch = 1 when one side is NULL and the other not, or they differ by more than a cent.
-- Parameters: :quarter
with

unit_rows as (
    select * from bulletin_unit_quarter where quarter = :quarter
),

group_rows as (
    select * from bulletin_group_quarter where quarter = :quarter
),

members as (
    select 'zone_group' as group_kind, zone_group as group_name, u.* from unit_rows as u
    union all
    select 'city' as group_kind, '全市合计' as group_name, u.* from unit_rows as u
),

sums as (
    select
        group_kind,
        group_name,
        count(*) as units,
        sum(dispatch_projects) as dispatch_projects,
        sum(dispatch_total_investment) as dispatch_total_investment,
        sum(industrial_investment) as industrial_investment,
        sum(industrial_investment_prev) as industrial_investment_prev,
        sum(newbuild_investment) as newbuild_investment,
        sum(renovation_investment) as renovation_investment,
        sum(started_projects) as started_projects,
        sum(registered_projects) as registered_projects,
        sum(missed_reports) as missed_reports,
        sum(yiyuan_projects) as yiyuan_projects,
        sum(cluster_projects) as cluster_projects
    from members
    group by group_kind, group_name
),

pairs as (
    select g.group_kind, g.group_name, 'units' as figure, g.units as total, s.units as units_sum
    from group_rows as g left join sums as s
        on s.group_kind = g.group_kind and s.group_name = g.group_name
    union all
    select g.group_kind, g.group_name, 'dispatch_projects', g.dispatch_projects,
           s.dispatch_projects
    from group_rows as g left join sums as s
        on s.group_kind = g.group_kind and s.group_name = g.group_name
    union all
    select g.group_kind, g.group_name, 'dispatch_total_investment', g.dispatch_total_investment,
           s.dispatch_total_investment
    from group_rows as g left join sums as s
        on s.group_kind = g.group_kind and s.group_name = g.group_name
    union all
    select g.group_kind, g.group_name, 'industrial_investment', g.industrial_investment,
           s.industrial_investment
    from group_rows as g left join sums as s
        on s.group_kind = g.group_kind and s.group_name = g.group_name
    union all
    select g.group_kind, g.group_name, 'industrial_investment_prev', g.industrial_investment_prev,
           s.industrial_investment_prev
    from group_rows as g left join sums as s
        on s.group_kind = g.group_kind and s.group_name = g.group_name
    union all
    select g.group_kind, g.group_name, 'newbuild_investment', g.newbuild_investment,
           s.newbuild_investment
    from group_rows as g left join sums as s
        on s.group_kind = g.group_kind and s.group_name = g.group_name
    union all
    select g.group_kind, g.group_name, 'renovation_investment', g.renovation_investment,
           s.renovation_investment
    from group_rows as g left join sums as s
        on s.group_kind = g.group_kind and s.group_name = g.group_name
    union all
    select g.group_kind, g.group_name, 'started_projects', g.started_projects, s.started_projects
    from group_rows as g left join sums as s
        on s.group_kind = g.group_kind and s.group_name = g.group_name
    union all
    select g.group_kind, g.group_name, 'registered_projects', g.registered_projects,
           s.registered_projects
    from group_rows as g left join sums as s
        on s.group_kind = g.group_kind and s.group_name = g.group_name
    union all
    select g.group_kind, g.group_name, 'missed_reports', g.missed_reports, s.missed_reports
    from group_rows as g left join sums as s
        on s.group_kind = g.group_kind and s.group_name = g.group_name
    union all
    select g.group_kind, g.group_name, 'yiyuan_projects', g.yiyuan_projects, s.yiyuan_projects
    from group_rows as g left join sums as s
        on s.group_kind = g.group_kind and s.group_name = g.group_name
    union all
    select g.group_kind, g.group_name, 'cluster_projects', g.cluster_projects, s.cluster_projects
    from group_rows as g left join sums as s
        on s.group_kind = g.group_kind and s.group_name = g.group_name
)

select
    group_kind,
    group_name,
    figure,
    total,
    units_sum,
    case when total is null and units_sum is null then 0
         when total is null or units_sum is null then 1
         when abs(total - units_sum) > 0.005 then 1 else 0 end as mismatch
from pairs
