-- Every problem reported in any loaded month: one problem_id (unit + project + normalised text +
-- raised date) from its first month; attributes from its first report; closed by the first
-- report of 已办结 with a 办结时间. Deadlines by the 13710 rule: assign +:assign_days,
-- feedback +:feedback_days, settle +:settle_days calendar days (major: +1 calendar month).
-- not_reported: open and missing from the latest loaded month's exports (不再报送).
insert into problems (
    problem_id, unit, project_code, project_name, kind, description, department, raised_on, major,
    status, closed_on, assign_by, feedback_by, settle_by, first_month, last_month, closed_month,
    not_reported
)
with

problem_rows as (
    select * from stg_progress
    where problem_id is not null
),

spans as (
    select
        problem_id,
        min(month) as first_month,
        max(month) as last_month
    from problem_rows
    group by problem_id
),

closings as (
    select
        problem_id,
        min(month) as closed_month
    from problem_rows
    where problem_status = '已办结' and closed_on is not null
    group by problem_id
),

latest_loaded as (
    select max(month) as month from stg_progress
)

select
    s.problem_id,
    f.unit,
    f.project_code,
    f.project_name,
    f.problem_kind as kind,
    f.problem as description,
    f.department,
    f.raised_on,
    case when f.major = '是' then 1 else 0 end as major,
    case when c.closed_month is not null then '已办结' else l.problem_status end as status,
    cr.closed_on,
    ca.day as assign_by,
    cf.day as feedback_by,
    case when f.major = '是' then cd.plus_month else cs.day end as settle_by,
    s.first_month,
    s.last_month,
    c.closed_month,
    case
        when
            c.closed_month is null
            and s.last_month < (select ll.month from latest_loaded as ll)
            then 1
        else 0
    end as not_reported
from spans as s
inner join problem_rows as f on s.problem_id = f.problem_id and s.first_month = f.month
inner join problem_rows as l on s.problem_id = l.problem_id and s.last_month = l.month
left join closings as c on s.problem_id = c.problem_id
left join problem_rows as cr on s.problem_id = cr.problem_id and c.closed_month = cr.month
left join cal_day as cd on f.raised_on = cd.day
left join cal_day as ca on ca.day_number = cd.day_number + :assign_days  -- noqa: RF02
left join cal_day as cf on cf.day_number = cd.day_number + :feedback_days  -- noqa: RF02
left join cal_day as cs on cs.day_number = cd.day_number + :settle_days  -- noqa: RF02
where s.problem_id is not null;
