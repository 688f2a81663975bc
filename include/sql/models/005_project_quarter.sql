-- Each project's facts in the quarter (one row per project key and unit), from int_project_rows, in
-- one pass: window aggregates over the project's rows, described by its first row in read order.
-- The code is the key's (a project matched by name to a coded row has that code).
-- Parameters: :quarter, :run_id
INSERT INTO project_quarter (quarter, project_key, unit, project_code, project_name, in_reserve, in_dispatch,
                             in_signed, in_approved, in_energy, in_registered, status, started, total_investment,
                             ytd_investment, run_id)
SELECT x.quarter, x.project_key, x.unit,
       CASE WHEN x.project_key LIKE 'C:%' THEN substr(x.project_key, 3) END, x.project_name,
       x.in_reserve, x.in_dispatch, x.in_signed, x.in_approved, x.in_energy, x.in_registered,
       x.dispatch_status, s.started, COALESCE(x.dispatch_total, x.any_total), x.registered_ytd, CAST(:run_id AS TEXT)
FROM (
    SELECT r.quarter, r.project_key, r.unit, r.project_name,
           ROW_NUMBER() OVER (PARTITION BY r.project_key, r.unit ORDER BY r.seq) AS rn,
           MAX(CASE WHEN r.list = 'reserve' THEN 1 ELSE 0 END) OVER (PARTITION BY r.project_key, r.unit) AS in_reserve,
           MAX(CASE WHEN r.list = 'dispatch' THEN 1 ELSE 0 END) OVER (PARTITION BY r.project_key, r.unit) AS in_dispatch,
           MAX(CASE WHEN r.list = 'signed' THEN 1 ELSE 0 END) OVER (PARTITION BY r.project_key, r.unit) AS in_signed,
           MAX(CASE WHEN r.list = 'approved' THEN 1 ELSE 0 END) OVER (PARTITION BY r.project_key, r.unit) AS in_approved,
           MAX(CASE WHEN r.list = 'energy' THEN 1 ELSE 0 END) OVER (PARTITION BY r.project_key, r.unit) AS in_energy,
           MAX(CASE WHEN r.list = 'registered' THEN 1 ELSE 0 END) OVER (PARTITION BY r.project_key, r.unit)
               AS in_registered,
           MAX(CASE WHEN r.list = 'dispatch' THEN r.status END) OVER (PARTITION BY r.project_key, r.unit)
               AS dispatch_status,
           MAX(CASE WHEN r.list = 'dispatch' THEN r.total_investment END) OVER (PARTITION BY r.project_key, r.unit)
               AS dispatch_total,
           MAX(r.total_investment) OVER (PARTITION BY r.project_key, r.unit) AS any_total,
           MAX(CASE WHEN r.list = 'registered' THEN r.ytd_investment END) OVER (PARTITION BY r.project_key, r.unit)
               AS registered_ytd
    FROM int_project_rows r
    WHERE r.quarter = :quarter
) x
LEFT JOIN cfg_status s ON s.status = x.dispatch_status
WHERE x.rn = 1;
