-- 未入统: started dispatch-library projects that are not in the unit's registered list (only when both
-- lists have arrived). One row per project, described by its first dispatch row in read order.
-- Parameters: :quarter, :dispatch_loaded, :registered_loaded, :run_id
INSERT INTO unregistered_projects (quarter, unit, project_code, project_name, status, total_investment, run_id)
SELECT quarter, unit, project_code, project_name, status, total_investment, CAST(:run_id AS TEXT)
FROM (
    SELECT d.*, ROW_NUMBER() OVER (PARTITION BY d.unit, d.project_key ORDER BY d.seq) AS rn
    FROM int_project_rows d
    JOIN cfg_status s ON s.status = d.status AND s.started = 1
    WHERE d.quarter = :quarter
      AND d.list = 'dispatch'
      AND :dispatch_loaded = 1 AND :registered_loaded = 1
      AND NOT EXISTS (SELECT 1 FROM int_project_rows g
                      WHERE g.quarter = d.quarter AND g.list = 'registered' AND g.unit = d.unit
                        AND g.project_key = d.project_key)
) x
WHERE rn = 1;
