-- The project master: every project key ever matched, described by its first row (earliest quarter,
-- then read order). Rebuilt whole from int_project_rows, so it does not depend on the order in which
-- quarters were processed and mirrors what is loaded.
-- Parameters: none
DELETE FROM project_master;
INSERT INTO project_master (project_key, project_code, unit, project_name, name_key, first_quarter, quarters)
SELECT x.project_key,
       CASE WHEN x.project_key LIKE 'C:%' THEN substr(x.project_key, 3) END, x.unit, x.project_name, x.name_key, x.quarter, q.n
FROM (
    SELECT r.*, ROW_NUMBER() OVER (PARTITION BY r.project_key ORDER BY r.quarter, r.seq) AS rn
    FROM int_project_rows r
) x
JOIN (SELECT project_key, COUNT(DISTINCT quarter) AS n FROM int_project_rows GROUP BY project_key) q
  ON q.project_key = x.project_key
WHERE x.rn = 1;
