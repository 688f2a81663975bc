-- The 全市目标 sheet (city_targets) against the 全市合计 row: mismatch = 1 when an indicator's
-- actual differs from the city row's figure, or the city row is absent while targets exist.
-- Parameters: :quarter
with

targets as (
    select * from city_targets
    where quarter = :quarter
),

city as (
    select * from bulletin_group_quarter
    where quarter = :quarter and group_kind = 'city'
),

pairs as (
    select
        t.indicator,
        t.measure,
        t.actual,
        case
            when c.group_name is null then -1
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
            when t.indicator = 'cluster_projects' and t.measure = 'count' then c.cluster_projects
            when t.indicator = 'cluster_projects' and t.measure = 'share' then c.cluster_share
            when t.indicator = 'yiyuan_projects' and t.measure = 'count' then c.yiyuan_projects
            when t.indicator = 'yiyuan_projects' and t.measure = 'share' then c.yiyuan_share
        end as city_value
    from targets as t
    left join city as c on 1 = 1
)

select
    indicator,
    measure,
    actual,
    city_value,
    case
        when actual is null and city_value is null then 0
        when actual is null or city_value is null then 1
        when abs(actual - city_value) > 0.000001 then 1 else 0
    end as mismatch
from pairs
