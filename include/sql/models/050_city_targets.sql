-- The city's progress against the year's targets (cfg_target, from config/targets/<year>.toml):
-- each indicator and measure with the 全市合计 row's figure of bulletin_group_quarter as actual,
-- so the 全市目标 sheet and the 全市合计 row cannot disagree. Amounts are stored in 万元 and
-- shown in 亿元 (the plan states city targets in 亿元), rounded to 2 decimals.
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
        case when t.indicator = 'cluster_projects' and c.note like '%集群项目数不含%' then 1 else 0 end
            as cluster_partial
    from targets as t
    left join city as c on 1 = 1
)

select
    cast(:quarter as text) as quarter,
    indicator,
    label,
    measure,
    target,
    actual,
    case
        when actual is null then null
        when strict = 1 and actual > target then 1
        when strict = 1 then 0
        when actual >= target then 1 else 0
    end as attained,
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
        when cluster_partial = 1
            then '不含未填所属产业集群的单位，见通报表全市合计行说明'
        when measure in ('count', 'share') and units_not_reported > 0
            then '不含未报送调度库的单位，见通报表全市合计行说明'
    end as note,
    cast(:run_id as text) as run_id
from actuals;
