-- Each open or just-closed problem as of each loaded month's last day (never the wall clock).
-- Open, reported this month and past its settle-by date: overdue, by (month end - settle_by)
-- days. Status: 已办结 in the month it is first reported closed, else the latest 办理状态
-- reported up to the month.
-- not_reported: open and not in this month's exports (不再报送): listed apart, never overdue;
-- days_not_reported = month end - end of the last month that reported it.
-- pending_days: a problem still 待交办 (the office's delay), month end - raised date.
insert into problems_month (
    month, problem_id, unit, department, status, closed_on, settle_by, overdue, days_overdue,
    closed_in_month, not_reported, days_not_reported, pending_days
)
with

months as (
    select
        month,
        max(day_number) as end_day
    from cal_day
    where month in (select distinct sp.month from stg_progress as sp)
    group by month
),

problem_rows as (
    select
        problem_id,
        month,
        problem_status
    from stg_progress
    where problem_id is not null
),

live as (
    select
        m.month,
        m.end_day,
        p.*
    from months as m
    inner join problems as p
        on m.month >= p.first_month and (p.closed_month is null or m.month <= p.closed_month)
),

seen as (
    select
        l.month,
        l.problem_id,
        max(r.month) as seen_month
    from live as l
    inner join problem_rows as r on l.problem_id = r.problem_id and l.month >= r.month
    group by l.month, l.problem_id
),

states as (
    select
        l.month,
        l.problem_id,
        l.unit,
        l.department,
        l.closed_on,
        l.settle_by,
        l.end_day - cr.day_number as days_since_raised,
        l.end_day - sm.end_day as days_since_seen,
        case when l.closed_month = l.month then 1 else 0 end as closed_in_month,
        case when s.seen_month < l.month and l.closed_month is null then 1 else 0 end
            as not_reported,
        r.problem_status as reported_status,
        l.end_day - cs.day_number as days_past_settle
    from live as l
    inner join seen as s on l.month = s.month and l.problem_id = s.problem_id
    inner join problem_rows as r on l.problem_id = r.problem_id and s.seen_month = r.month
    left join cal_day as cs on l.settle_by = cs.day
    left join cal_day as cr on l.raised_on = cr.day
    left join months as sm on s.seen_month = sm.month
)

select
    month,
    problem_id,
    unit,
    department,
    case when closed_in_month = 1 then '已办结' else reported_status end as status,
    case when closed_in_month = 1 then closed_on end as closed_on,
    settle_by,
    case
        when closed_in_month = 0 and not_reported = 0 and days_past_settle > 0 then 1 else 0
    end as overdue,
    case
        when closed_in_month = 0 and not_reported = 0 and days_past_settle > 0
            then days_past_settle
        else 0
    end as days_overdue,
    closed_in_month,
    not_reported,
    case when not_reported = 1 then days_since_seen end as days_not_reported,
    case
        when closed_in_month = 0 and reported_status = '待交办' then days_since_raised
    end as pending_days
from states;

-- 按责任单位: per month and responsible department, what is pushed to the member departments.
-- A problem still 待交办 has not been pushed (the office's delay): not charged to a department.
insert into department_month (month, department, open_problems, overdue_problems, closed_problems)
select
    month,
    coalesce(department, '未明确') as department,
    sum(1 - closed_in_month) as open_problems,
    sum(overdue) as overdue_problems,
    sum(closed_in_month) as closed_problems
from problems_month
where pending_days is null
group by month, coalesce(department, '未明确');
