-- The year-end ranking (年度考评) of domain.md 'Bulletin and ranking', from the year's Q4 row of
-- each unit in bulletin_unit_quarter. Run only on a year's Q4 run (keyprojects.ranking), after the
-- marts.
-- Indicators and weights: cfg_ranking_indicator (config/ranking.toml); ranked units: cfg_unit.
-- Points per indicator: weight * (v - min) / (max - min) over the ranked units with a value; all
-- equal: full weight; no value: 0 points and the note says why. Deduction: :per_missed per
-- 漏报 project (plus each 待核实 one when :deduct_unconfirmed is 1; 退回待改 never), at most
-- :deduction_cap. Score rounded to :decimals. Ties: higher industrial investment, then the plan's
-- unit order. The growth gap is taken at the precision the office reads, as attainment is judged
-- (int_attainment: printed growth minus printed target, in percent at one decimal, as a fraction).
-- Parameters: :year, :prev_year, :quarter, :per_missed, :deduction_cap, :deduct_unconfirmed,
-- :decimals, :run_id (bound once, in the params CTE)
delete from ranking_unit_year
where year = :year;

insert into ranking_unit_year (
    year, unit, unit_order, ranked,
    industrial_growth_gap_value, industrial_growth_gap_points,
    renovation_growth_value, renovation_growth_points,
    start_rate_value, start_rate_points,
    registration_rate_value, registration_rate_points,
    large_projects_value, large_projects_points,
    cluster_projects_value, cluster_projects_points,
    missed_reports, industrial_investment, deduction, score, rank, previous_rank, rank_change,
    note, quarter, returned_reports, unconfirmed_reports, run_id
)
with params as (
    select
        cast(:year as integer) as ranking_year,
        cast(:prev_year as integer) as previous_year,
        cast(:quarter as text) as ranking_quarter,
        cast(:per_missed as double precision) as per_missed,
        cast(:deduction_cap as double precision) as deduction_cap,
        cast(:deduct_unconfirmed as integer) as deduct_unconfirmed,
        cast(:decimals as integer) as decimals,
        cast(:run_id as text) as run_id
),

bulletin as (
    select
        b.unit,
        c.unit_order,
        c.ranked,
        b.industrial_investment,
        b.missed_reports,
        b.returned_reports,
        b.unconfirmed_reports,
        b.note as bulletin_note,
        cast((a.actual_printed - a.target_printed) / 100 as double precision)
            as industrial_growth_gap,
        cast(b.renovation_growth as double precision) as renovation_growth,
        cast(b.start_rate as double precision) as start_rate,
        cast(b.registration_rate as double precision) as registration_rate,
        cast(b.yiyuan_projects as double precision) as large_projects,
        cast(b.cluster_projects as double precision) as cluster_projects
    from bulletin_unit_quarter as b
    inner join params as p on b.quarter = p.ranking_quarter
    inner join cfg_unit as c on b.unit = c.unit and p.ranking_year = c.year
    left join int_attainment as a
        on
            b.quarter = a.quarter and b.unit = a.subject and a.scope = 'unit'
            and a.indicator = 'industrial_investment' and a.measure = 'growth'
),

indicator_values as (
    select
        unit,
        'industrial_growth_gap' as indicator,
        industrial_growth_gap as value
    from bulletin
    union all
    select
        unit,
        'renovation_growth' as indicator,
        renovation_growth as value
    from bulletin
    union all
    select
        unit,
        'start_rate' as indicator,
        start_rate as value
    from bulletin
    union all
    select
        unit,
        'registration_rate' as indicator,
        registration_rate as value
    from bulletin
    union all
    select
        unit,
        'large_projects' as indicator,
        large_projects as value
    from bulletin
    union all
    select
        unit,
        'cluster_projects' as indicator,
        cluster_projects as value
    from bulletin
),

bounds as (
    select
        v.indicator,
        min(v.value) as low,
        max(v.value) as high
    from indicator_values as v
    inner join bulletin as b on v.unit = b.unit
    where b.ranked = 1 and v.value is not null
    group by v.indicator
),

int_points as (
    select
        v.unit,
        v.indicator,
        v.value,
        case
            when b.ranked <> 1 then null
            when v.value is null then 0.0
            when bd.high = bd.low then w.weight
            else w.weight * (v.value - bd.low) / (bd.high - bd.low)
        end as points,
        case when b.ranked = 1 and v.value is null then w.label || '无值，计0分' end as null_note
    from indicator_values as v
    inner join bulletin as b on v.unit = b.unit
    inner join cfg_ranking_indicator as w on v.indicator = w.indicator
    left join bounds as bd on v.indicator = bd.indicator
),

wide as (
    select
        unit as wide_unit,
        max(case when indicator = 'industrial_growth_gap' then value end) as gap_value,
        max(case when indicator = 'industrial_growth_gap' then points end) as gap_points,
        max(case when indicator = 'industrial_growth_gap' then null_note end) as gap_note,
        max(case when indicator = 'renovation_growth' then value end) as ren_value,
        max(case when indicator = 'renovation_growth' then points end) as ren_points,
        max(case when indicator = 'renovation_growth' then null_note end) as ren_note,
        max(case when indicator = 'start_rate' then value end) as start_value,
        max(case when indicator = 'start_rate' then points end) as start_points,
        max(case when indicator = 'start_rate' then null_note end) as start_note,
        max(case when indicator = 'registration_rate' then value end) as reg_value,
        max(case when indicator = 'registration_rate' then points end) as reg_points,
        max(case when indicator = 'registration_rate' then null_note end) as reg_note,
        max(case when indicator = 'large_projects' then value end) as large_value,
        max(case when indicator = 'large_projects' then points end) as large_points,
        max(case when indicator = 'large_projects' then null_note end) as large_note,
        max(case when indicator = 'cluster_projects' then value end) as cluster_value,
        max(case when indicator = 'cluster_projects' then points end) as cluster_points,
        max(case when indicator = 'cluster_projects' then null_note end) as cluster_note,
        sum(points) as total_points
    from int_points
    group by unit
),

deducted as (
    select
        b.*,
        w.*,
        p.decimals,
        case
            when b.ranked <> 1 then null
            when
                (
                    coalesce(b.missed_reports, 0)
                    + p.deduct_unconfirmed * coalesce(b.unconfirmed_reports, 0)
                ) * p.per_missed > p.deduction_cap
                then p.deduction_cap
            else
                (
                    coalesce(b.missed_reports, 0)
                    + p.deduct_unconfirmed * coalesce(b.unconfirmed_reports, 0)
                ) * p.per_missed
        end as deduction
    from bulletin as b
    inner join wide as w on b.unit = w.wide_unit
    cross join params as p
),

scored as (
    select
        d.*,
        round(cast(d.total_points - d.deduction as numeric), d.decimals) as score
    from deducted as d
),

ranked as (
    select
        s.*,
        case
            when s.ranked = 1 then row_number() over (
                partition by s.ranked
                order by
                    s.score desc,
                    case when s.industrial_investment is null then 1 else 0 end,
                    s.industrial_investment desc,
                    s.unit_order asc
            )
        end as unit_rank
    from scored as s
),

notes as (
    select
        r.*,
        case when r.ranked <> 1 then '列示，不参与排名' end as ranked_note,
        substr(
            coalesce('；' || r.gap_note, '')
            || coalesce('；' || r.ren_note, '')
            || coalesce('；' || r.start_note, '')
            || coalesce('；' || r.reg_note, '')
            || coalesce('；' || r.large_note, '')
            || coalesce('；' || r.cluster_note, ''),
            2
        ) as value_notes,
        case
            when r.ranked = 1 and r.missed_reports is null then '漏报数无法统计（清单未齐），未扣分'
        end as missed_note,
        case
            when r.ranked = 1 and (r.returned_reports > 0 or r.unconfirmed_reports > 0)
                then
                    '另有退回待改' || cast(r.returned_reports as text) || '个（不扣分）、待核实'
                    || cast(r.unconfirmed_reports as text) || '个（'
                    || case when p.deduct_unconfirmed = 1 then '按漏报扣分' else '不扣分' end || '）'
        end as set_aside_note
    from ranked as r
    cross join params as p
)

select
    params.ranking_year as year,
    n.unit,
    n.unit_order,
    cast(case when n.ranked = 1 then 1 else 0 end as boolean) as ranked,
    n.gap_value as industrial_growth_gap_value,
    n.gap_points as industrial_growth_gap_points,
    n.ren_value as renovation_growth_value,
    n.ren_points as renovation_growth_points,
    n.start_value as start_rate_value,
    n.start_points as start_rate_points,
    n.reg_value as registration_rate_value,
    n.reg_points as registration_rate_points,
    n.large_value as large_projects_value,
    n.large_points as large_projects_points,
    n.cluster_value as cluster_projects_value,
    n.cluster_points as cluster_projects_points,
    n.missed_reports,
    n.industrial_investment,
    n.deduction,
    n.score,
    n.unit_rank as rank,
    prev.rank as previous_rank,
    prev.rank - n.unit_rank as rank_change,
    nullif(
        substr(
            coalesce('；' || n.ranked_note, '')
            || coalesce('；' || nullif(n.value_notes, ''), '')
            || case
                when nullif(n.value_notes, '') is not null and n.bulletin_note is not null
                    then '（' || n.bulletin_note || '）'
                else ''
            end
            || coalesce('；' || n.missed_note, '')
            || coalesce('；' || n.set_aside_note, ''),
            2
        ),
        ''
    ) as note,
    params.ranking_quarter as quarter,
    n.returned_reports,
    n.unconfirmed_reports,
    params.run_id
from notes as n
cross join params
left join ranking_unit_year as prev
    on
        params.previous_year = prev.year
        and n.unit = prev.unit
        and prev.rank is not null
order by n.unit_order;
