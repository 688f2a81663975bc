-- 漏报: projects of the quarter's approved/energy lists (approved in the quarter's year, total at or
-- above the threshold) missing from the unit's dispatch library; signed projects missing from the
-- unit's reserve and dispatch libraries. One row per project and source list, described by its
-- first row in read order. Nothing is claimed missing when the library it is checked against has
-- not arrived (:dispatch_loaded, :reserve_loaded).
-- Parameters: :quarter, :year_text, :threshold, :dispatch_loaded, :reserve_loaded, :run_id
INSERT INTO missed_reports (quarter, unit, source_list, project_key, project_code, project_name, total_investment,
                            file, row_number, run_id)
SELECT quarter, unit, list, project_key, project_code, project_name, total_investment, file, row_number,
       CAST(:run_id AS TEXT)
FROM (
    SELECT r.*, ROW_NUMBER() OVER (PARTITION BY r.unit, r.list, r.project_key ORDER BY r.seq) AS rn
    FROM int_project_rows r
    WHERE r.quarter = :quarter
      AND r.total_investment >= :threshold
      AND ((r.list IN ('approved', 'energy') AND :dispatch_loaded = 1
            AND (r.approval_date IS NULL OR substr(r.approval_date, 1, 4) = :year_text)
            AND NOT EXISTS (SELECT 1 FROM int_project_rows d
                            WHERE d.quarter = r.quarter AND d.list = 'dispatch' AND d.unit = r.unit
                              AND d.project_key = r.project_key))
        OR (r.list = 'signed' AND :dispatch_loaded = 1 AND :reserve_loaded = 1
            AND NOT EXISTS (SELECT 1 FROM int_project_rows d
                            WHERE d.quarter = r.quarter AND d.list IN ('reserve', 'dispatch') AND d.unit = r.unit
                              AND d.project_key = r.project_key)))
) x
WHERE rn = 1;
