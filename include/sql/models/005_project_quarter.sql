-- Each project's facts in the quarter (one row per project key and unit), from int_project_rows.
-- The code is the key's (a project matched by name to a coded row has that code).
-- Parameters: :quarter, :run_id
INSERT INTO project_quarter (quarter, project_key, unit, project_code, project_name, in_reserve, in_dispatch,
                             in_signed, in_approved, in_energy, in_registered, status, started, total_investment,
                             ytd_investment, run_id)
SELECT f.quarter, f.project_key, f.unit,
       CASE WHEN f.project_key LIKE 'C:%' THEN substr(f.project_key, 3) END, first.project_name,
       f.in_reserve, f.in_dispatch, f.in_signed, f.in_approved, f.in_energy, f.in_registered,
       f.status, s.started, f.total_investment, f.ytd_investment, CAST(:run_id AS TEXT)
FROM (
    SELECT r.quarter, r.project_key, r.unit,
           MAX(CASE WHEN r.list = 'reserve' THEN 1 ELSE 0 END) AS in_reserve,
           MAX(CASE WHEN r.list = 'dispatch' THEN 1 ELSE 0 END) AS in_dispatch,
           MAX(CASE WHEN r.list = 'signed' THEN 1 ELSE 0 END) AS in_signed,
           MAX(CASE WHEN r.list = 'approved' THEN 1 ELSE 0 END) AS in_approved,
           MAX(CASE WHEN r.list = 'energy' THEN 1 ELSE 0 END) AS in_energy,
           MAX(CASE WHEN r.list = 'registered' THEN 1 ELSE 0 END) AS in_registered,
           MAX(CASE WHEN r.list = 'dispatch' THEN r.status END) AS status,
           COALESCE(MAX(CASE WHEN r.list = 'dispatch' THEN r.total_investment END), MAX(r.total_investment))
               AS total_investment,
           MAX(CASE WHEN r.list = 'registered' THEN r.ytd_investment END) AS ytd_investment
    FROM int_project_rows r
    WHERE r.quarter = :quarter
    GROUP BY r.quarter, r.project_key, r.unit
) f
JOIN (
    SELECT quarter, project_key, unit, project_code, project_name,
           ROW_NUMBER() OVER (PARTITION BY quarter, project_key, unit ORDER BY seq) AS rn
    FROM int_project_rows WHERE quarter = :quarter
) first ON first.quarter = f.quarter AND first.project_key = f.project_key AND first.unit = f.unit AND first.rn = 1
LEFT JOIN cfg_status s ON s.status = f.status;
