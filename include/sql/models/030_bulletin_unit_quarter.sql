-- The quarter's figures per unit: one row per configured unit of the year, also without projects.
-- A figure that cannot be computed is NULL, never 0, and note says why (every reason that
-- applies, in a fixed order, separated by '；'):
--   a list has not arrived (load_audit); the unit has not sent its dispatch (or reserve) library
--   (unit_submissions: its library figures are NULL and it has no 漏报 count); the same quarter of
--   the year before has no loaded registered list, or its investment was 0; no growth target;
--   cluster words missing (所属产业集群 column absent or cells blank) for some of its projects.
-- Amounts are rounded to 2 decimals here, where they are stored. growth_rank is the 位次 of
-- industrial growth against target (growth_gap = growth - target; 1 = furthest above).
-- Parameters: :quarter, :prev_quarter, :year, :yiyuan, :run_id
insert into bulletin_unit_quarter (
    quarter, unit, unit_order, zone_group, reserve_status, dispatch_status,
    dispatch_projects, dispatch_total_investment,
    industrial_investment, industrial_investment_prev, industrial_growth, target_growth,
    growth_gap, growth_attained, growth_rank,
    newbuild_investment, newbuild_investment_prev, newbuild_growth,
    renovation_investment, renovation_investment_prev, renovation_growth,
    started_projects, start_rate, registered_projects, registration_rate, missed_reports,
    yiyuan_projects, yiyuan_share, cluster_projects, cluster_share, cluster_unknown_projects,
    note, returned_reports, unconfirmed_reports, run_id
)
with

units as (
    select
        unit,
        unit_order,
        zone_group,
        target_growth
    from cfg_unit
    where year = :year
),

lists as (
    select
        list,
        title,
        list_order
    from cfg_list
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

submissions as (
    select
        unit,
        list,
        status
    from unit_submissions
    where quarter = :quarter
),

dispatch_rows as (
    select
        unit,
        project_key,
        total_investment,
        status,
        cluster,
        cluster_text
    from int_project_rows
    where quarter = :quarter and list = 'dispatch'
),

registered_rows as (
    select distinct
        unit,
        project_key
    from int_project_rows
    where quarter = :quarter and list = 'registered'
),

statuses as (
    select
        status,
        started
    from cfg_status
),

natures as (
    select
        nature,
        nature_group
    from cfg_nature
),

investment_rows as (
    select
        quarter,
        unit,
        nature,
        ytd_investment
    from stg_registered
    where quarter in (:quarter, :prev_quarter)
),

missed as (
    select
        unit,
        project_key
    from missed_reports
    where quarter = :quarter
),

-- 退回待改 and 待核实: 漏报 candidates not counted as 漏报 (int_missed_candidates)
set_aside as (
    select
        unit,
        count(distinct case when category = 'returned' then project_key end) as returned,
        count(distinct case when category = 'unconfirmed' then project_key end) as unconfirmed
    from int_missed_candidates
    where quarter = :quarter
    group by unit
),

-- which lists arrived
loaded as (
    select
        l.list,
        l.list_order,
        l.title,
        case when exists (
            select 1 from audit as a
            where a.list = l.list and a.status = 'loaded'
        ) then 1 else 0 end as is_loaded
    from lists as l
),

flags as (
    select
        max(case when list = 'dispatch' then is_loaded end) as dispatch_loaded,
        max(case when list = 'reserve' then is_loaded end) as reserve_loaded,
        max(case when list = 'registered' then is_loaded end) as registered_loaded,
        min(case
            when list in ('dispatch', 'reserve', 'signed', 'approved', 'energy')
                then is_loaded
        end) as missed_complete,
        case when exists (select 1 from prev_audit) then 1 else 0 end as prev_loaded
    from loaded
),

missing_lists as (
    select
        coalesce(max(case when list_order = 1 then '、' || title || '(' || list || ')' end), '')
        || coalesce(max(case when list_order = 2 then '、' || title || '(' || list || ')' end), '')
        || coalesce(max(case when list_order = 3 then '、' || title || '(' || list || ')' end), '')
        || coalesce(max(case when list_order = 4 then '、' || title || '(' || list || ')' end), '')
        || coalesce(max(case when list_order = 5 then '、' || title || '(' || list || ')' end), '')
        || coalesce(max(case when list_order = 6 then '、' || title || '(' || list || ')' end), '')
            as names
    from loaded
    where is_loaded = 0
),

dispatch_projects as (
    select
        d.unit,
        d.project_key,
        max(d.total_investment) as total,
        max(coalesce(s.started, 0)) as started,
        max(case when d.cluster is not null then 1 else 0 end) as is_cluster,
        max(case when d.cluster_text is not null then 1 else 0 end) as cluster_known
    from dispatch_rows as d
    left join statuses as s on d.status = s.status
    group by d.unit, d.project_key
),

dispatch_units as (
    select
        p.unit,
        count(*) as projects,
        sum(p.total) as total,
        sum(p.started) as started,
        sum(case when p.started = 1 and g.project_key is not null then 1 else 0 end) as registered,
        sum(case when p.total >= :yiyuan then 1 else 0 end) as yiyuan,
        sum(p.is_cluster) as clusters,
        sum(1 - p.cluster_known) as cluster_unknown
    from dispatch_projects as p
    left join registered_rows as g on p.unit = g.unit and p.project_key = g.project_key
    group by p.unit
),

investment as (
    select
        i.quarter,
        i.unit,
        sum(i.ytd_investment) as industrial,
        sum(case when n.nature_group = 'newbuild' then i.ytd_investment else 0 end) as newbuild,
        sum(case when n.nature_group = 'renovation' then i.ytd_investment else 0 end)
            as renovation
    from investment_rows as i
    left join natures as n on i.nature = n.nature
    group by i.quarter, i.unit
),

missed_units as (
    select
        unit,
        count(distinct project_key) as n
    from missed
    group by unit
),

base as (
    select
        u.unit,
        u.unit_order,
        u.zone_group,
        u.target_growth,
        f.dispatch_loaded,
        f.reserve_loaded,
        f.registered_loaded,
        f.prev_loaded,
        coalesce(sr.status, 'not_received') as reserve_status,
        coalesce(sd.status, 'not_received') as dispatch_status,
        case when sd.status = 'received' then coalesce(du.projects, 0) end as projects,
        case when sd.status = 'received' then coalesce(du.total, 0) end as total,
        case when sd.status = 'received' then coalesce(du.started, 0) end as started,
        case
            when sd.status = 'received' and f.registered_loaded = 1
                then coalesce(du.registered, 0)
        end as registered,
        case when sd.status = 'received' then coalesce(du.yiyuan, 0) end as yiyuan,
        case
            when sd.status = 'received' and coalesce(du.cluster_unknown, 0) = 0
                then coalesce(du.clusters, 0)
        end as clusters,
        case
            when sd.status = 'received' then coalesce(du.cluster_unknown, 0)
        end as cluster_unknown,
        case when f.registered_loaded = 1 then coalesce(cur.industrial, 0) end as industrial,
        case when f.registered_loaded = 1 then coalesce(cur.newbuild, 0) end as newbuild,
        case when f.registered_loaded = 1 then coalesce(cur.renovation, 0) end as renovation,
        case when f.prev_loaded = 1 then coalesce(prev.industrial, 0) end as industrial_prev,
        case when f.prev_loaded = 1 then coalesce(prev.newbuild, 0) end as newbuild_prev,
        case when f.prev_loaded = 1 then coalesce(prev.renovation, 0) end as renovation_prev,
        case
            when f.missed_complete = 1 and sd.status = 'received' and sr.status = 'received'
                then coalesce(mi.n, 0)
        end as missed,
        case
            when f.missed_complete = 1 and sd.status = 'received' and sr.status = 'received'
                then coalesce(sa.returned, 0)
        end as returned,
        case
            when f.missed_complete = 1 and sd.status = 'received' and sr.status = 'received'
                then coalesce(sa.unconfirmed, 0)
        end as unconfirmed
    from units as u
    cross join flags as f
    left join submissions as sr on u.unit = sr.unit and sr.list = 'reserve'
    left join submissions as sd on u.unit = sd.unit and sd.list = 'dispatch'
    left join dispatch_units as du on u.unit = du.unit
    left join investment as cur on u.unit = cur.unit and cur.quarter = :quarter
    left join investment as prev on u.unit = prev.unit and prev.quarter = :prev_quarter
    left join missed_units as mi on u.unit = mi.unit
    left join set_aside as sa on u.unit = sa.unit
),

growth as (
    select
        b.*,
        case when b.industrial_prev > 0 then b.industrial / b.industrial_prev - 1 end as g_ind,
        case when b.newbuild_prev > 0 then b.newbuild / b.newbuild_prev - 1 end as g_new,
        case when b.renovation_prev > 0 then b.renovation / b.renovation_prev - 1 end as g_ren
    from base as b
),

gaps as (
    select
        g.*,
        g.g_ind - g.target_growth as gap
    from growth as g
),

ranks as (
    select
        unit,
        rank() over (order by gap desc) as growth_rank
    from gaps
    where gap is not null
),

noted as (
    select
        g.*,
        r.growth_rank,
        case
            when g.dispatch_loaded = 1 and g.dispatch_status = 'not_received'
                then '；未报送调度库'
            else ''
        end
        || case
            when g.reserve_loaded = 1 and g.reserve_status = 'not_received'
                then '；未报送储备库'
            else ''
        end
        || case when m.names <> '' then '；缺少清单:' || substr(m.names, 2) else '' end
        || case
            when g.prev_loaded = 0 and g.registered_loaded = 1
                then '；无上年同期入统数据(' || cast(:prev_quarter as text) || '未加载)'
            else ''
        end
        || case
            when g.industrial_prev = 0 and g.industrial is not null
                then '；上年同期工业投资为0，无法计算增速'
            else ''
        end
        || case
            when g.g_new is null and g.newbuild is not null and g.industrial_prev > 0
                then '；上年同期新建类投资为0，无法计算其增速'
            else ''
        end
        || case
            when g.g_ren is null and g.renovation is not null and g.industrial_prev > 0
                then '；上年同期技改投资为0，无法计算其增速'
            else ''
        end
        || case when g.target_growth is null then '；未设增速目标' else '' end
        || case
            when g.started = 0 and g.registered is not null
                then '；无开复工项目，规范入统率无法计算'
            else ''
        end
        || case
            when g.cluster_unknown > 0
                then
                    '；' || cast(g.cluster_unknown as text)
                    || '个项目未填所属产业集群，集群项目数无法计算'
            else ''
        end
            as note_text
    from gaps as g
    cross join missing_lists as m
    left join ranks as r on g.unit = r.unit
)

select
    cast(:quarter as text) as quarter,
    unit,
    unit_order,
    zone_group,
    reserve_status,
    dispatch_status,
    projects as dispatch_projects,
    round(cast(total as numeric), 2) as dispatch_total_investment,
    round(cast(industrial as numeric), 2) as industrial_investment,
    round(cast(industrial_prev as numeric), 2) as industrial_investment_prev,
    g_ind as industrial_growth,
    target_growth,
    gap as growth_gap,
    cast(null as integer) as growth_attained,  -- judged in 055_attainment.sql
    growth_rank,
    round(cast(newbuild as numeric), 2) as newbuild_investment,
    round(cast(newbuild_prev as numeric), 2) as newbuild_investment_prev,
    g_new as newbuild_growth,
    round(cast(renovation as numeric), 2) as renovation_investment,
    round(cast(renovation_prev as numeric), 2) as renovation_investment_prev,
    g_ren as renovation_growth,
    started as started_projects,
    case when projects > 0 then 1.0 * started / projects end as start_rate,
    registered as registered_projects,
    case when started > 0 then 1.0 * registered / started end as registration_rate,
    missed as missed_reports,
    yiyuan as yiyuan_projects,
    case when projects > 0 then 1.0 * yiyuan / projects end as yiyuan_share,
    clusters as cluster_projects,
    case when projects > 0 then 1.0 * clusters / projects end as cluster_share,
    cluster_unknown as cluster_unknown_projects,
    case when note_text <> '' then substr(note_text, 2) end as note,
    returned as returned_reports,
    unconfirmed as unconfirmed_reports,
    cast(:run_id as text) as run_id
from noted;
