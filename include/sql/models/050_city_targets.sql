-- The city's progress against the year's targets (cfg_target, from config/targets/<year>.toml):
-- each indicator and measure with the 全市合计 row's figure of bulletin_group_quarter as actual,
-- so the 全市目标 sheet and the 全市合计 row cannot disagree. attained: see 055_attainment.sql;
-- note is set exactly when the figure is missing or its data are incomplete (a unit without its
-- dispatch library for counts and shares; units without cluster words for the cluster target), and
-- then says how many units are missing: 055 reads such a target as 无法判断, never 完成. Amounts
-- are stored in 万元 and shown in 亿元 (the plan states city targets in 亿元), rounded to 2
-- decimals: the one home of that rounding.
-- Parameters: :quarter, :year, :run_id
insert into city_targets (
    quarter, indicator, label, measure, target, actual, attained, indicator_order,
    measure_order, shown_unit, target_shown, actual_shown, progress, note, run_id
)
with

targets as (
    select * from cfg_target
    where year = :year
),

city as (
    select * from bulletin_group_quarter
    where quarter = :quarter and group_kind = 'city'
),

unit_gaps as (
    select
        coalesce(sum(
            case
                when dispatch_projects is not null and cluster_projects is null then 1
                else 0
            end
        ), 0) as cluster_units_missing
    from bulletin_unit_quarter
    where quarter = :quarter
),

actuals as (
    select
        t.*,
        case
            when t.indicator = 'industrial_investment' and t.measure = 'amount'
                then c.industrial_investment
            when t.indicator = 'industrial_investment' and t.measure = 'growth'
                then c.industrial_growth
            when t.indicator = 'newbuild_investment' and t.measure = 'amount'
                then c.newbuild_investment
            when t.indicator = 'newbuild_investment' and t.measure = 'growth'
                then c.newbuild_growth
            when t.indicator = 'renovation_investment' and t.measure = 'amount'
                then c.renovation_investment
            when t.indicator = 'renovation_investment' and t.measure = 'growth'
                then c.renovation_growth
            when t.indicator = 'cluster_projects' and t.measure = 'count'
                then c.cluster_projects
            when t.indicator = 'cluster_projects' and t.measure = 'share'
                then c.cluster_share
            when t.indicator = 'yiyuan_projects' and t.measure = 'count'
                then c.yiyuan_projects
            when t.indicator = 'yiyuan_projects' and t.measure = 'share'
                then c.yiyuan_share
        end as actual,
        c.units_not_reported,
        case
            when t.indicator = 'cluster_projects' then g.cluster_units_missing else 0
        end as cluster_units_missing
    from targets as t
    left join city as c on 1 = 1
    cross join unit_gaps as g
)

select
    cast(:quarter as text) as quarter,
    indicator,
    label,
    measure,
    target,
    actual,
    cast(null as integer) as attained,  -- judged in 055_attainment.sql
    indicator_order,
    measure_order,
    case measure when 'amount' then '亿元' when 'count' then '个' else '%' end as shown_unit,
    case
        when measure = 'amount' then round(cast(target / 10000 as numeric), 2)
        else target
    end as target_shown,
    case
        when measure = 'amount' then round(cast(actual / 10000 as numeric), 2)
        else actual
    end as actual_shown,
    case when measure in ('amount', 'count') and target > 0 then actual / target end
        as progress,
    case
        when actual is null then '无法计算，原因见通报表全市合计行说明'
        when
            cluster_units_missing > 0
            or (measure in ('count', 'share') and units_not_reported > 0)
            then
                '无法判断：'
                || case
                    when cluster_units_missing > 0
                        then
                            cast(cluster_units_missing as text)
                            || '个单位缺少所属产业集群数据'
                    else ''
                end
                || case
                    when
                        cluster_units_missing > 0 and units_not_reported > 0
                        and measure in ('count', 'share')
                        then '，'
                    else ''
                end
                || case
                    when measure in ('count', 'share') and units_not_reported > 0
                        then cast(units_not_reported as text) || '个单位未报送调度库'
                    else ''
                end
                || '，见通报表全市合计行说明'
    end as note,
    cast(:run_id as text) as run_id
from actuals;
