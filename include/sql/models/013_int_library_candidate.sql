-- For each project of the quarter with a near miss, the most similar project of its unit's reserve
-- or dispatch library: the other side of its best near miss in int_match_review that the unit's
-- libraries hold (ties: the name first in order). One row per unit and project; model 015 looks
-- it up. Parameters: :quarter, :run_id
insert into int_library_candidate (
    quarter, unit, project_key, candidate_name, candidate_similarity, run_id
)
with

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
    select
        unit,
        project_key
    from int_project_rows
    where quarter = :quarter and list in ('reserve', 'dispatch')
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

-- the library is probed per pair through the index of int_project_rows (no join to plan)
ranked as (
    select
        p.unit,
        p.project_key,
        p.other_name,
        p.similarity,
        row_number() over (
            partition by p.unit, p.project_key order by p.similarity desc, p.other_name asc
        ) as rn
    from pairs as p
    where exists (
        select 1 from library as l
        where l.unit = p.unit and l.project_key = p.other_key
    )
)

select
    cast(:quarter as text) as quarter,
    unit,
    project_key,
    other_name as candidate_name,
    similarity as candidate_similarity,
    cast(:run_id as text) as run_id
from ranked
where rn = 1;
