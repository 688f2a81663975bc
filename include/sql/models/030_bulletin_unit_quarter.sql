-- The quarter's figures per unit (one row per configured unit, also when it has no projects).
-- Runs after 010/020. A figure that cannot be computed is NULL, never 0, and `note` says why:
-- the list it needs has not arrived (:dispatch_loaded / :registered_loaded = 0), the same quarter
-- of the year before has no loaded registered list (:prev_loaded = 0), or its investment was 0.
-- Parameters: :quarter, :prev_quarter, :year, :prev_loaded, :dispatch_loaded, :registered_loaded,
--             :missed_complete (dispatch, reserve, signed, approved and energy all arrived),
--             :missing_note, :yiyuan, :run_id
INSERT INTO bulletin_unit_quarter (
    quarter, unit, unit_order, zone_group, dispatch_projects, dispatch_total_investment,
    industrial_investment, industrial_investment_prev, industrial_growth, target_growth, growth_attained,
    newbuild_investment, newbuild_investment_prev, newbuild_growth, renovation_investment,
    renovation_investment_prev, renovation_growth,
    started_projects, start_rate, registered_projects, registration_rate, missed_reports,
    yiyuan_projects, yiyuan_share, cluster_projects, cluster_share, note, run_id)
WITH disp AS (
    SELECT d.unit, d.project_key, MAX(d.total_investment) AS total, MAX(COALESCE(s.started, 0)) AS started,
           MAX(CASE WHEN d.cluster IS NOT NULL THEN 1 ELSE 0 END) AS is_cluster,
           MAX(CASE WHEN EXISTS (SELECT 1 FROM int_project_rows g
                                 WHERE g.quarter = d.quarter AND g.list = 'registered' AND g.unit = d.unit
                                   AND g.project_key = d.project_key) THEN 1 ELSE 0 END) AS registered
    FROM int_project_rows d LEFT JOIN cfg_status s ON s.status = d.status
    WHERE d.quarter = :quarter AND d.list = 'dispatch'
    GROUP BY d.unit, d.project_key
), disp_unit AS (
    SELECT unit,
           COUNT(*) AS projects,
           SUM(total) AS total,
           SUM(started) AS started,
           SUM(CASE WHEN started = 1 AND registered = 1 THEN 1 ELSE 0 END) AS registered,
           SUM(CASE WHEN total >= :yiyuan THEN 1 ELSE 0 END) AS yiyuan,
           SUM(is_cluster) AS clusters
    FROM disp
    GROUP BY unit
), inv AS (
    SELECT g.quarter, g.unit,
           SUM(g.ytd_investment) AS industrial,
           SUM(CASE WHEN n.nature_group = 'newbuild' THEN g.ytd_investment ELSE 0 END) AS newbuild,
           SUM(CASE WHEN n.nature_group = 'renovation' THEN g.ytd_investment ELSE 0 END) AS renovation
    FROM stg_registered g LEFT JOIN cfg_nature n ON n.nature = g.nature
    WHERE g.quarter IN (:quarter, :prev_quarter)
    GROUP BY g.quarter, g.unit
), missed AS (
    SELECT unit, COUNT(*) AS n FROM (
        SELECT DISTINCT m.unit, m.project_key
        FROM missed_reports m WHERE m.quarter = :quarter) x
    GROUP BY unit
), base AS (
    SELECT u.unit, u.unit_order, u.zone_group, u.target_growth,
           CASE WHEN :dispatch_loaded = 1 THEN COALESCE(du.projects, 0) END AS projects,
           CASE WHEN :dispatch_loaded = 1 THEN COALESCE(du.total, 0) END AS total,
           CASE WHEN :dispatch_loaded = 1 THEN COALESCE(du.started, 0) END AS started,
           CASE WHEN :dispatch_loaded = 1 AND :registered_loaded = 1 THEN COALESCE(du.registered, 0) END AS registered,
           CASE WHEN :dispatch_loaded = 1 THEN COALESCE(du.yiyuan, 0) END AS yiyuan,
           CASE WHEN :dispatch_loaded = 1 THEN COALESCE(du.clusters, 0) END AS clusters,
           CASE WHEN :registered_loaded = 1 THEN COALESCE(cur.industrial, 0) END AS industrial,
           CASE WHEN :registered_loaded = 1 THEN COALESCE(cur.newbuild, 0) END AS newbuild,
           CASE WHEN :registered_loaded = 1 THEN COALESCE(cur.renovation, 0) END AS renovation,
           CASE WHEN :prev_loaded = 1 THEN COALESCE(prev.industrial, 0) END AS industrial_prev,
           CASE WHEN :prev_loaded = 1 THEN COALESCE(prev.newbuild, 0) END AS newbuild_prev,
           CASE WHEN :prev_loaded = 1 THEN COALESCE(prev.renovation, 0) END AS renovation_prev,
           CASE WHEN :missed_complete = 1 THEN COALESCE(mi.n, 0) END AS missed
    FROM cfg_unit u
    LEFT JOIN disp_unit du ON du.unit = u.unit
    LEFT JOIN inv cur ON cur.unit = u.unit AND cur.quarter = :quarter
    LEFT JOIN inv prev ON prev.unit = u.unit AND prev.quarter = :prev_quarter
    LEFT JOIN missed mi ON mi.unit = u.unit
    WHERE u.year = :year
), growth AS (
    SELECT base.*,
           CASE WHEN industrial_prev > 0 THEN industrial / industrial_prev - 1 END AS g_ind,
           CASE WHEN newbuild_prev > 0 THEN newbuild / newbuild_prev - 1 END AS g_new,
           CASE WHEN renovation_prev > 0 THEN renovation / renovation_prev - 1 END AS g_ren
    FROM base
)
SELECT CAST(:quarter AS TEXT), unit, unit_order, zone_group, projects, total,
       industrial, industrial_prev, g_ind, target_growth,
       CASE WHEN g_ind IS NULL OR target_growth IS NULL THEN NULL WHEN g_ind >= target_growth THEN 1 ELSE 0 END,
       newbuild, newbuild_prev, g_new, renovation, renovation_prev, g_ren,
       started, CASE WHEN projects > 0 THEN 1.0 * started / projects END,
       registered, CASE WHEN started > 0 AND registered IS NOT NULL THEN 1.0 * registered / started END,
       missed,
       yiyuan, CASE WHEN projects > 0 THEN 1.0 * yiyuan / projects END,
       clusters, CASE WHEN projects > 0 THEN 1.0 * clusters / projects END,
       NULL,
       CAST(:run_id AS TEXT)
FROM growth;

-- The notes: every reason that applies, in this order, separated by ';'.
UPDATE bulletin_unit_quarter SET note = CAST(:missing_note AS TEXT)
WHERE quarter = :quarter AND CAST(:missing_note AS TEXT) <> '';

UPDATE bulletin_unit_quarter
SET note = COALESCE(note || ';', '') || '无上年同期入统数据(' || CAST(:prev_quarter AS TEXT) || '未加载)'
WHERE quarter = :quarter AND :prev_loaded = 0 AND :registered_loaded = 1;

UPDATE bulletin_unit_quarter SET note = COALESCE(note || ';', '') || '上年同期工业投资为0,无法计算增速'
WHERE quarter = :quarter AND industrial_investment_prev = 0 AND industrial_investment IS NOT NULL;

UPDATE bulletin_unit_quarter SET note = COALESCE(note || ';', '') || '上年同期新建类投资为0,无法计算其增速'
WHERE quarter = :quarter AND newbuild_growth IS NULL AND newbuild_investment IS NOT NULL
  AND industrial_investment_prev IS NOT NULL AND industrial_investment_prev > 0;

UPDATE bulletin_unit_quarter SET note = COALESCE(note || ';', '') || '上年同期技改投资为0,无法计算其增速'
WHERE quarter = :quarter AND renovation_growth IS NULL AND renovation_investment IS NOT NULL
  AND industrial_investment_prev IS NOT NULL AND industrial_investment_prev > 0;

UPDATE bulletin_unit_quarter SET note = COALESCE(note || ';', '') || '未设增速目标'
WHERE quarter = :quarter AND target_growth IS NULL;
