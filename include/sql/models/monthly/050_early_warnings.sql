-- Early warnings per loaded month and reported project: one row per project, its reasons joined
-- in this order (reason: codes joined by ','; reason_text: texts joined by '；'):
--   ytd_below_plan: year-to-date < (months elapsed / 12) x annual plan x :factor;
--   no_new_investment: no month investment in each of the last :no_investment_months months
--     (the project reported in every one of them; a blank amount counts as none), unless the
--     project is 竣工投产 (finished: no new investment is expected);
--   not_started: still 未开工 :not_started_months months after the end of the quarter in which
--     it entered the dispatch library.
insert into early_warnings (month, unit, project_code, project_name, reason, reason_text)
with

progress as (
    select
        p.*,
        cast(substr(p.month, 1, 4) as integer) * 12
        + cast(substr(p.month, 6, 2) as integer) - 1 as month_index
    from progress_month as p
),

below_plan as (
    select
        month,
        project_ref,
        1 as reason_order,
        'ytd_below_plan' as reason,
        cast(:text_below as text) as reason_text
    from progress
    where
        annual_plan > 0
        and coalesce(ytd_investment, 0)
        < cast(substr(month, 6, 2) as integer) / 12.0 * annual_plan * :factor
),

no_investment as (
    select
        c.month,
        c.project_ref,
        2 as reason_order,
        'no_new_investment' as reason,
        cast(:text_no_investment as text) as reason_text  -- noqa: RF02
    from progress as c
    inner join progress as p
        on
            c.project_ref = p.project_ref
            and p.month_index > c.month_index - :no_investment_months  -- noqa: RF02
            and c.month_index >= p.month_index
    where coalesce(p.month_investment, 0) <= 0 and coalesce(c.status, '') <> '竣工投产'
    group by c.month, c.project_ref
    having count(*) = :no_investment_months  -- noqa: RF02
),

not_started as (
    select
        month,
        project_ref,
        3 as reason_order,
        'not_started' as reason,
        cast(:text_not_started as text) as reason_text
    from progress
    where
        status = '未开工'
        and entered_quarter is not null
        and month_index >= cast(substr(entered_quarter, 1, 4) as integer) * 12
        + cast(substr(entered_quarter, 6, 1) as integer) * 3 - 1 + :not_started_months
),

reasons as (
    select * from below_plan
    union all
    select * from no_investment
    union all
    select * from not_started
),

per_project as (
    select
        month,
        project_ref,
        max(case when reason_order = 1 then reason end) as r1,
        max(case when reason_order = 2 then reason end) as r2,
        max(case when reason_order = 3 then reason end) as r3,
        max(case when reason_order = 1 then reason_text end) as t1,
        max(case when reason_order = 2 then reason_text end) as t2,
        max(case when reason_order = 3 then reason_text end) as t3
    from reasons
    group by month, project_ref
),

project_rows as (
    select
        month,
        project_ref,
        min(unit) as unit,
        min(project_code) as project_code,
        min(project_name) as project_name
    from progress
    group by month, project_ref
)

select
    w.month,
    p.unit,
    p.project_code,
    p.project_name,
    substr(coalesce(',' || w.r1, '') || coalesce(',' || w.r2, '') || coalesce(',' || w.r3, ''), 2)
        as reason,
    substr(coalesce('；' || w.t1, '') || coalesce('；' || w.t2, '') || coalesce('；' || w.t3, ''), 2)
        as reason_text
from per_project as w
inner join project_rows as p on w.month = p.month and w.project_ref = p.project_ref;
