-- Attainment (达标/完成), judged here once for every figure that has a target, at the precision
-- the office reads (docs/domain.md): a growth or share and its target compared in percent rounded
-- to one decimal, half away from zero (exactly 15% is 达标 although 1150/1000 - 1 < 0.15 in
-- floating point; 14.96% prints 15.0% and is 达标; 14.94% prints 14.9%); a city amount as 全市目标
-- shows it (亿元, 2 decimals: city_targets.*_shown); a count as it is. A figure or target that is
-- NULL, or a city target whose data are incomplete (050 writes its note exactly then: units not
-- reported, cluster words missing), is not judged (NULL: 无法判断), never 完成. strict = 1 (a
-- "greater than" target) needs the printed actual above the printed target. The judgement is
-- copied into bulletin_unit_quarter, bulletin_group_quarter and city_targets below; the ranking
-- reads its printed gap from here.
-- Parameters: :quarter, :year, :run_id
insert into int_attainment (
    quarter, scope, subject, indicator, measure, actual, target, strict, incomplete,
    actual_printed, target_printed, attained, run_id
)
with

units as (
    select
        'unit' as scope,
        unit as subject,
        'industrial_investment' as indicator,
        'growth' as measure,
        industrial_growth as actual,
        target_growth as target,
        0 as strict,
        0 as incomplete
    from bulletin_unit_quarter
    where quarter = :quarter
),

groups as (
    select
        group_kind as scope,
        group_name as subject,
        'industrial_investment' as indicator,
        'growth' as measure,
        industrial_growth as actual,
        target_growth as target,
        0 as strict,
        0 as incomplete
    from bulletin_group_quarter
    where quarter = :quarter
),

city as (
    select
        'city_target' as scope,
        t.indicator as subject,
        t.indicator,
        t.measure,
        case when t.measure = 'amount' then t.actual_shown else t.actual end as actual,
        case when t.measure = 'amount' then t.target_shown else t.target end as target,
        coalesce(c.strict, 0) as strict,
        case when t.actual is not null and t.note is not null then 1 else 0 end as incomplete
    from city_targets as t
    left join cfg_target as c
        on t.indicator = c.indicator and t.measure = c.measure and c.year = :year
    where t.quarter = :quarter
),

judged as (
    select * from units
    union all
    select * from groups
    union all
    select * from city
),

printed as (
    select
        j.*,
        case
            when j.measure in ('growth', 'share')
                then round(cast(j.actual * 100 as numeric), 1)
            else j.actual
        end as actual_printed,
        case
            when j.measure in ('growth', 'share')
                then round(cast(j.target * 100 as numeric), 1)
            else j.target
        end as target_printed
    from judged as j
)

select
    cast(:quarter as text) as quarter,
    scope,
    subject,
    indicator,
    measure,
    actual,
    target,
    strict,
    incomplete,
    actual_printed,
    target_printed,
    case
        when actual_printed is null or target_printed is null or incomplete = 1 then null
        when strict = 1 and actual_printed > target_printed then 1
        when strict = 1 then 0
        when actual_printed >= target_printed then 1
        else 0
    end as attained,
    cast(:run_id as text) as run_id
from printed;

update bulletin_unit_quarter
set
    growth_attained = (
        select a.attained
        from int_attainment as a
        where
            a.quarter = bulletin_unit_quarter.quarter
            and a.scope = 'unit'
            and a.subject = bulletin_unit_quarter.unit
            and a.indicator = 'industrial_investment'
            and a.measure = 'growth'
    )
where quarter = :quarter;

update bulletin_group_quarter
set
    growth_attained = (
        select a.attained
        from int_attainment as a
        where
            a.quarter = bulletin_group_quarter.quarter
            and a.scope = bulletin_group_quarter.group_kind
            and a.subject = bulletin_group_quarter.group_name
            and a.indicator = 'industrial_investment'
            and a.measure = 'growth'
    )
where quarter = :quarter;

update city_targets
set
    attained = (
        select a.attained
        from int_attainment as a
        where
            a.quarter = city_targets.quarter
            and a.scope = 'city_target'
            and a.subject = city_targets.indicator
            and a.measure = city_targets.measure
    )
where quarter = :quarter;
