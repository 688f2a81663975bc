-- 漏报 as counted: the quarter's 漏报 candidates (int_missed_candidates) whose category is missed;
-- the 退回待改 and 待核实 ones stay in int_missed_candidates and on the 漏报 sheet's own sections.
-- Parameters: :quarter, :run_id
insert into missed_reports (
    quarter, unit, source_list, project_key, project_code, project_name, total_investment,
    file, row_number, run_id
)
select
    quarter,
    unit,
    source_list,
    project_key,
    project_code,
    project_name,
    total_investment,
    file,
    row_number,
    cast(:run_id as text) as run_id
from int_missed_candidates
where quarter = :quarter and category = 'missed';
