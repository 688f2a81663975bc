-- Each zone-group subtotal and the 全市合计 row against the sum of their units, figure by figure:
-- mismatch = 1 when one side is NULL and the other not, or they differ by more than a cent.
-- Parameters: :quarter
with

unit_rows as (
    select * from bulletin_unit_quarter
    where quarter = :quarter
),

group_rows as (
    select * from bulletin_group_quarter
    where quarter = :quarter
),

members as (
    select
        'zone_group' as group_kind,
        u.zone_group as group_name,
        u.*
    from unit_rows as u
    union all
    select
        'city' as group_kind,
        '全市合计' as group_name,
        u.*
    from unit_rows as u
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
    select
        g.group_kind,
        g.group_name,
        'units' as figure,
        g.units as total,
        s.units as units_sum
    from group_rows as g
    left join sums as s
        on g.group_kind = s.group_kind and g.group_name = s.group_name
    union all
    select
        g.group_kind,
        g.group_name,
        'dispatch_projects' as figure,
        g.dispatch_projects as total,
        s.dispatch_projects as units_sum
    from group_rows as g
    left join sums as s
        on g.group_kind = s.group_kind and g.group_name = s.group_name
    union all
    select
        g.group_kind,
        g.group_name,
        'dispatch_total_investment' as figure,
        g.dispatch_total_investment as total,
        s.dispatch_total_investment as units_sum
    from group_rows as g
    left join sums as s
        on g.group_kind = s.group_kind and g.group_name = s.group_name
    union all
    select
        g.group_kind,
        g.group_name,
        'industrial_investment' as figure,
        g.industrial_investment as total,
        s.industrial_investment as units_sum
    from group_rows as g
    left join sums as s
        on g.group_kind = s.group_kind and g.group_name = s.group_name
    union all
    select
        g.group_kind,
        g.group_name,
        'industrial_investment_prev' as figure,
        g.industrial_investment_prev as total,
        s.industrial_investment_prev as units_sum
    from group_rows as g
    left join sums as s
        on g.group_kind = s.group_kind and g.group_name = s.group_name
    union all
    select
        g.group_kind,
        g.group_name,
        'newbuild_investment' as figure,
        g.newbuild_investment as total,
        s.newbuild_investment as units_sum
    from group_rows as g
    left join sums as s
        on g.group_kind = s.group_kind and g.group_name = s.group_name
    union all
    select
        g.group_kind,
        g.group_name,
        'renovation_investment' as figure,
        g.renovation_investment as total,
        s.renovation_investment as units_sum
    from group_rows as g
    left join sums as s
        on g.group_kind = s.group_kind and g.group_name = s.group_name
    union all
    select
        g.group_kind,
        g.group_name,
        'started_projects' as figure,
        g.started_projects as total,
        s.started_projects as units_sum
    from group_rows as g
    left join sums as s
        on g.group_kind = s.group_kind and g.group_name = s.group_name
    union all
    select
        g.group_kind,
        g.group_name,
        'registered_projects' as figure,
        g.registered_projects as total,
        s.registered_projects as units_sum
    from group_rows as g
    left join sums as s
        on g.group_kind = s.group_kind and g.group_name = s.group_name
    union all
    select
        g.group_kind,
        g.group_name,
        'missed_reports' as figure,
        g.missed_reports as total,
        s.missed_reports as units_sum
    from group_rows as g
    left join sums as s
        on g.group_kind = s.group_kind and g.group_name = s.group_name
    union all
    select
        g.group_kind,
        g.group_name,
        'yiyuan_projects' as figure,
        g.yiyuan_projects as total,
        s.yiyuan_projects as units_sum
    from group_rows as g
    left join sums as s
        on g.group_kind = s.group_kind and g.group_name = s.group_name
    union all
    select
        g.group_kind,
        g.group_name,
        'cluster_projects' as figure,
        g.cluster_projects as total,
        s.cluster_projects as units_sum
    from group_rows as g
    left join sums as s
        on g.group_kind = s.group_kind and g.group_name = s.group_name
)

select
    group_kind,
    group_name,
    figure,
    total,
    units_sum,
    case
        when total is null and units_sum is null then 0
        when total is null or units_sum is null then 1
        when abs(total - units_sum) > 0.005 then 1 else 0
    end as mismatch
from pairs
