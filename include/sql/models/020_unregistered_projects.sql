-- 未入统: started dispatch-library projects that are not in the unit's registered list.
-- Parameters: :quarter, :run_id
INSERT INTO unregistered_projects (quarter, unit, project_code, project_name, status, total_investment, run_id)
SELECT d.quarter, d.unit, MIN(d.project_code), MIN(d.project_name), MIN(d.status), MAX(d.total_investment), CAST(:run_id AS TEXT)
FROM int_project_rows d
JOIN cfg_status s ON s.status = d.status AND s.started = 1
WHERE d.quarter = :quarter
  AND d.list = 'dispatch'
  AND NOT EXISTS (SELECT 1 FROM int_project_rows g
                  WHERE g.quarter = d.quarter AND g.list = 'registered' AND g.unit = d.unit AND g.project_key = d.project_key)
GROUP BY d.quarter, d.unit, d.project_key;
