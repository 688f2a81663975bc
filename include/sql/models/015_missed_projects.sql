-- The 漏报 sheet: one row per unit and project of missed_reports, its source lists joined in a
-- fixed order (签约、立项、能源), the date and owner of its first row (立项 date for approvals,
-- 签约 date for signings), and the library project it most resembles: the best near miss of
-- int_match_review whose other side is in the unit's reserve or dispatch library.
-- Parameters: :quarter, :run_id
insert into missed_projects (
    quarter, unit, project_key, project_code, project_name, total_investment, sources,
    source_date, owner, candidate_name, candidate_similarity, run_id
)
with

missed as (
    select
        unit,
        source_list,
        project_key,
        project_code,
        project_name,
        total_investment
    from missed_reports
    where quarter = :quarter
),

project_rows as (
    select
        list,
        unit,
        project_key,
        seq,
        approval_date,
        signing_date,
        owner
    from int_project_rows
    where quarter = :quarter
),

review as (
    select
        unit,
        similarity,
        project_key_a,
        project_name_a,
        project_key_b,
        project_name_b
    from int_match_review
    where quarter = :quarter and reason like 'near miss%'
),

library as (
    select distinct
        unit,
        project_key
    from int_project_rows
    where quarter = :quarter and list in ('reserve', 'dispatch')
),

per_project as (
    select
        unit,
        project_key,
        max(case when source_list = 'signed' then 1 else 0 end) as from_signed,
        max(case when source_list = 'approved' then 1 else 0 end) as from_approved,
        max(case when source_list = 'energy' then 1 else 0 end) as from_energy
    from missed
    group by unit, project_key
),

described as (
    select
        m.*,
        row_number() over (
            partition by m.unit, m.project_key
            order by case m.source_list when 'approved' then 1 when 'energy' then 2 else 3 end
        ) as rn
    from missed as m
),

source_rows as (
    select
        r.unit,
        r.project_key,
        case when r.list = 'signed' then r.signing_date else r.approval_date end as source_date,
        r.owner,
        row_number() over (
            partition by r.unit, r.project_key
            order by case r.list when 'approved' then 1 when 'energy' then 2 else 3 end, r.seq
        ) as rn
    from project_rows as r
    where r.list in ('approved', 'energy', 'signed')
),

pairs as (
    select
        unit,
        project_key_a as project_key,
        project_key_b as other_key,
        project_name_b as other_name,
        similarity
    from review
    union all
    select
        unit,
        project_key_b as project_key,
        project_key_a as other_key,
        project_name_a as other_name,
        similarity
    from review
),

candidates as (
    select
        p.unit,
        p.project_key,
        p.other_name,
        p.similarity,
        row_number() over (
            partition by p.unit, p.project_key order by p.similarity desc, p.other_name asc
        ) as rn
    from pairs as p
    inner join library as l on p.unit = l.unit and p.other_key = l.project_key
)

select
    cast(:quarter as text) as quarter,
    d.unit,
    d.project_key,
    d.project_code,
    d.project_name,
    d.total_investment,
    substr(
        case when pp.from_signed = 1 then '、签约' else '' end
        || case when pp.from_approved = 1 then '、立项' else '' end
        || case when pp.from_energy = 1 then '、能源' else '' end,
        2
    ) as sources,
    s.source_date,
    s.owner,
    c.other_name as candidate_name,
    c.similarity as candidate_similarity,
    cast(:run_id as text) as run_id
from described as d
inner join per_project as pp on d.unit = pp.unit and d.project_key = pp.project_key
left join source_rows as s on d.unit = s.unit and d.project_key = s.project_key and s.rn = 1
left join candidates as c on d.unit = c.unit and d.project_key = c.project_key and c.rn = 1
where d.rn = 1;
