-- Cluster words of the dispatch libraries that name no configured cluster (化工, 风电…): listed
-- with how many projects and rows carry them, for a person to add to config/clusters.toml or fix.
-- They count as "not a cluster" in the figures, and are never silently dropped from view.
-- Parameters: :quarter, :run_id
insert into int_cluster_review (quarter, unit, cluster_word, projects, rows_seen, run_id)
with

dispatch_rows as (
    select
        unit,
        project_key,
        cluster,
        cluster_text
    from int_project_rows
    where quarter = :quarter and list = 'dispatch'
)

select
    cast(:quarter as text) as quarter,
    unit,
    cluster_text as cluster_word,
    count(distinct project_key) as projects,
    count(*) as rows_seen,
    cast(:run_id as text) as run_id
from dispatch_rows
where cluster is null and cluster_text is not null
group by unit, cluster_text;
