-- The 漏报 sheet: one row per unit and project of int_missed_candidates with its category (missed
-- 漏报, returned 退回待改 with the rejected library row it matched, unconfirmed 待核实), its source
-- lists joined in a fixed order (签约、立项、能源), the date and owner of its first row
-- (int_project_first_source), and the library project it most resembles (int_library_candidate).
-- Parameters: :quarter, :run_id
insert into missed_projects (
    quarter, unit, project_key, project_code, project_name, total_investment, sources,
    source_date, owner, candidate_name, candidate_similarity, category, returned_list,
    returned_file, returned_sheet, returned_row_number, returned_rule, run_id
)
with

missed as (
    select
        unit,
        source_list,
        project_key,
        project_code,
        project_name,
        total_investment,
        category,
        returned_list,
        returned_file,
        returned_sheet,
        returned_row_number,
        returned_rule
    from int_missed_candidates
    where quarter = :quarter
),

first_source as (
    select
        unit,
        project_key,
        source_date,
        owner
    from int_project_first_source
    where quarter = :quarter
),

candidate as (
    select
        unit,
        project_key,
        candidate_name,
        candidate_similarity
    from int_library_candidate
    where quarter = :quarter
),

-- the project's source lists as window aggregates, not a joined group-by: SQLite planned that
-- join as a nested scan (quadratic in the quarter's missed projects)
described as (
    select
        m.*,
        max(case when m.source_list = 'signed' then 1 else 0 end) over w as from_signed,
        max(case when m.source_list = 'approved' then 1 else 0 end) over w as from_approved,
        max(case when m.source_list = 'energy' then 1 else 0 end) over w as from_energy,
        row_number() over (
            partition by m.unit, m.project_key
            order by case m.source_list when 'approved' then 1 when 'energy' then 2 else 3 end
        ) as rn
    from missed as m
    window w as (partition by m.unit, m.project_key)
)

select
    cast(:quarter as text) as quarter,
    d.unit,
    d.project_key,
    d.project_code,
    d.project_name,
    d.total_investment,
    substr(
        case when d.from_signed = 1 then '、签约' else '' end
        || case when d.from_approved = 1 then '、立项' else '' end
        || case when d.from_energy = 1 then '、能源' else '' end,
        2
    ) as sources,
    s.source_date,
    s.owner,
    c.candidate_name,
    c.candidate_similarity,
    d.category,
    d.returned_list,
    d.returned_file,
    d.returned_sheet,
    d.returned_row_number,
    d.returned_rule,
    cast(:run_id as text) as run_id
from described as d
left join first_source as s on d.unit = s.unit and d.project_key = s.project_key
left join candidate as c on d.unit = c.unit and d.project_key = c.project_key
where d.rn = 1;
