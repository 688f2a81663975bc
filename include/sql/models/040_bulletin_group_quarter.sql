-- Zone-group subtotals (太忻一体化经济区, 省级开发区县, 其余县; config/units.toml) and the 全市合计
-- row, from bulletin_unit_quarter: counts and amounts are sums over the units that have the
-- figure; rates and growth are recomputed from the summed numerators and denominators, never
-- averaged. A unit without a figure (未报送, clusters unknown, 漏报 not checkable) is left out of
-- that sum and note says how many were. The city's growth target is the year's city target
-- (cfg_target); a zone group's is its units' target. No target: NULL with 未设增速目标.
-- Parameters: :quarter, :prev_quarter, :year, :run_id
insert into bulletin_group_quarter (
    quarter, group_kind, group_name, group_order, units, units_not_reported,
    dispatch_projects, dispatch_total_investment,
    industrial_investment, industrial_investment_prev, industrial_growth, target_growth,
    growth_gap, growth_attained,
    newbuild_investment, newbuild_investment_prev, newbuild_growth,
    renovation_investment, renovation_investment_prev, renovation_growth,
    started_projects, start_rate, registered_projects, registration_rate, missed_reports,
    yiyuan_projects, yiyuan_share, cluster_projects, cluster_share, cluster_unknown_projects,
    note, returned_reports, unconfirmed_reports, run_id
)
with

unit_rows as (
    select * from bulletin_unit_quarter
    where quarter = :quarter
),

zone_groups as (
    select
        zone_group,
        group_order
    from cfg_zone_group
),

unit_targets as (
    select
        zone_group,
        max(target_growth) as target_growth
    from cfg_unit
    where year = :year
    group by zone_group
),

city_target as (
    select max(target) as target_growth
    from cfg_target
    where year = :year and indicator = 'industrial_investment' and measure = 'growth'
),

audit as (
    select
        list,
        status
    from load_audit
    where quarter = :quarter
),

prev_audit as (
    select
        list,
        status
    from load_audit
    where quarter = :prev_quarter and list = 'registered' and status = 'loaded'
),

flags as (
    select
        case when exists (
            select 1 from audit
            where list = 'registered' and status = 'loaded'
        ) then 1 else 0 end as registered_loaded,
        case when exists (select 1 from prev_audit) then 1 else 0 end as prev_loaded
),

members as (
    select
        'zone_group' as group_kind,
        u.zone_group as group_name,
        z.group_order,
        t.target_growth as group_target,
        u.*
    from unit_rows as u
    inner join zone_groups as z on u.zone_group = z.zone_group
    left join unit_targets as t on u.zone_group = t.zone_group
    union all
    select
        'city' as group_kind,
        '全市合计' as group_name,
        (select count(*) from zone_groups) + 1 as group_order,
        (select c.target_growth from city_target as c) as group_target,
        u.*
    from unit_rows as u
),

sums as (
    select
        group_kind,
        group_name,
        group_order,
        max(group_target) as target_growth,
        count(*) as units,
        sum(case when dispatch_status = 'not_received' then 1 else 0 end) as units_not_reported,
        sum(dispatch_projects) as dispatch_projects,
        sum(dispatch_total_investment) as dispatch_total_investment,
        sum(industrial_investment) as industrial_investment,
        sum(industrial_investment_prev) as industrial_investment_prev,
        sum(newbuild_investment) as newbuild_investment,
        sum(newbuild_investment_prev) as newbuild_investment_prev,
        sum(renovation_investment) as renovation_investment,
        sum(renovation_investment_prev) as renovation_investment_prev,
        sum(started_projects) as started_projects,
        sum(registered_projects) as registered_projects,
        sum(case when registered_projects is not null then started_projects end)
            as started_for_registration,
        sum(missed_reports) as missed_reports,
        sum(case when dispatch_projects is not null and missed_reports is null then 1 else 0 end)
            as missed_unchecked,
        sum(yiyuan_projects) as yiyuan_projects,
        sum(cluster_projects) as cluster_projects,
        sum(case when cluster_projects is not null then dispatch_projects end) as cluster_base,
        sum(case when dispatch_projects is not null and cluster_projects is null then 1 else 0 end)
            as cluster_units_unknown,
        sum(cluster_unknown_projects) as cluster_unknown_projects,
        sum(returned_reports) as returned_reports,
        sum(unconfirmed_reports) as unconfirmed_reports
    from members
    group by group_kind, group_name, group_order
),

growth as (
    select
        s.*,
        f.registered_loaded,
        f.prev_loaded,
        case
            when s.industrial_investment_prev > 0
                then s.industrial_investment / s.industrial_investment_prev - 1
        end as g_ind,
        case
            when s.newbuild_investment_prev > 0
                then s.newbuild_investment / s.newbuild_investment_prev - 1
        end as g_new,
        case
            when s.renovation_investment_prev > 0
                then s.renovation_investment / s.renovation_investment_prev - 1
        end as g_ren
    from sums as s
    cross join flags as f
),

noted as (
    select
        g.*,
        case
            when g.units_not_reported > 0
                then
                    '；' || cast(g.units_not_reported as text)
                    || '个单位未报送调度库，调度库各项合计不含其数据'
            else ''
        end
        || case when g.registered_loaded = 0 then '；缺少清单:入统清单(registered)' else '' end
        || case
            when g.prev_loaded = 0 and g.registered_loaded = 1
                then '；无上年同期入统数据(' || cast(:prev_quarter as text) || '未加载)'
            else ''
        end
        || case
            when g.industrial_investment_prev = 0 and g.industrial_investment is not null
                then '；上年同期工业投资为0，无法计算增速'
            else ''
        end
        || case when g.target_growth is null then '；未设增速目标' else '' end
        || case
            when g.missed_unchecked > 0
                then '；漏报项目数不含无法核对的' || cast(g.missed_unchecked as text) || '个单位'
            else ''
        end
        || case
            when g.cluster_units_unknown > 0
                then
                    '；集群项目数不含未填所属产业集群的'
                    || cast(g.cluster_units_unknown as text) || '个单位'
            else '' end
            as note_text
    from growth as g
)

select
    cast(:quarter as text) as quarter,
    group_kind,
    group_name,
    group_order,
    units,
    units_not_reported,
    dispatch_projects,
    round(cast(dispatch_total_investment as numeric), 2) as dispatch_total_investment,
    round(cast(industrial_investment as numeric), 2) as industrial_investment,
    round(cast(industrial_investment_prev as numeric), 2) as industrial_investment_prev,
    g_ind as industrial_growth,
    target_growth,
    g_ind - target_growth as growth_gap,
    cast(null as integer) as growth_attained,  -- judged in 055_attainment.sql
    round(cast(newbuild_investment as numeric), 2) as newbuild_investment,
    round(cast(newbuild_investment_prev as numeric), 2) as newbuild_investment_prev,
    g_new as newbuild_growth,
    round(cast(renovation_investment as numeric), 2) as renovation_investment,
    round(cast(renovation_investment_prev as numeric), 2) as renovation_investment_prev,
    g_ren as renovation_growth,
    started_projects,
    case when dispatch_projects > 0 then 1.0 * started_projects / dispatch_projects end
        as start_rate,
    registered_projects,
    case
        when started_for_registration > 0
            then 1.0 * registered_projects / started_for_registration
    end as registration_rate,
    missed_reports,
    yiyuan_projects,
    case when dispatch_projects > 0 then 1.0 * yiyuan_projects / dispatch_projects end
        as yiyuan_share,
    cluster_projects,
    case when cluster_base > 0 then 1.0 * cluster_projects / cluster_base end as cluster_share,
    cluster_unknown_projects,
    case when note_text <> '' then substr(note_text, 2) end as note,
    returned_reports,
    unconfirmed_reports,
    cast(:run_id as text) as run_id
from noted;
