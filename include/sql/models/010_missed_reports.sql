-- 漏报: projects of the quarter's approved/energy lists (approved in the quarter's year, total at or
-- above the threshold) missing from the unit's dispatch library; signed projects missing from the
-- unit's reserve and dispatch libraries. One row per project and source list.
-- Parameters: :quarter, :year_text, :threshold, :run_id
INSERT INTO missed_reports (quarter, unit, source_list, project_key, project_code, project_name, total_investment, file, row_number, run_id)
SELECT r.quarter, r.unit, r.list, r.project_key, MIN(r.project_code), MIN(r.project_name), MAX(r.total_investment),
       MIN(r.file), MIN(r.row_number), CAST(:run_id AS TEXT)
FROM int_project_rows r
WHERE r.quarter = :quarter
  AND r.list IN ('approved', 'energy')
  AND r.total_investment >= :threshold
  AND (r.approval_date IS NULL OR substr(r.approval_date, 1, 4) = :year_text)
  AND NOT EXISTS (SELECT 1 FROM int_project_rows d
                  WHERE d.quarter = r.quarter AND d.list = 'dispatch' AND d.unit = r.unit AND d.project_key = r.project_key)
GROUP BY r.quarter, r.unit, r.list, r.project_key
UNION ALL
SELECT r.quarter, r.unit, r.list, r.project_key, MIN(r.project_code), MIN(r.project_name), MAX(r.total_investment),
       MIN(r.file), MIN(r.row_number), CAST(:run_id AS TEXT)
FROM int_project_rows r
WHERE r.quarter = :quarter
  AND r.list = 'signed'
  AND r.total_investment >= :threshold
  AND NOT EXISTS (SELECT 1 FROM int_project_rows d
                  WHERE d.quarter = r.quarter AND d.list IN ('reserve', 'dispatch') AND d.unit = r.unit
                    AND d.project_key = r.project_key)
GROUP BY r.quarter, r.unit, r.list, r.project_key;
