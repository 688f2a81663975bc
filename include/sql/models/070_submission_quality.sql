-- 报送质量: each sender's reporting of a quarter, one row per (sender, list). Senders: each
-- configured unit for its reserve and dispatch libraries (also when it sent nothing), the unknown
-- sender (单位不明) for library rows no unit is found for, and each bureau list's source bureau.
-- A library row's sender is the unit of its own unit cell (stg_* for loaded rows,
-- int_rejected_library_rows for rejected ones); else the one unit the rest of its sheet names,
-- else of its file; else the one unit the file was received from (inbox_file_units: the rows a
-- resend superseded); else the unknown sender (the 退回清单's rule, docs/decisions.md 'office').
-- Receipt: the latest China-time receipt of the sender's files (load_history); days late against
-- the lists' deadline (:deadline_day, a day number). resubmissions: versions of the sender's
-- files received before the current one, and its files a resend superseded. missed_reports /
-- unregistered_projects: the unit's counts for the quarter (missed_reports as
-- bulletin_unit_quarter counts it), on each of its rows.
-- Parameters: :quarter, :year, :run_id, :deadline_day, :unknown_sender
insert into submission_quality (
    quarter, sender, list, sender_kind, received_at, on_time, days_late, files, resubmissions,
    rows_read, rows_loaded, rows_rejected, rows_skipped, rejection_rate, top_rule, top_rule_rows,
    missed_reports, unregistered_projects, run_id
)
with

raw as (
    select
        list,
        file,
        sheet,
        row_number,
        disposition,
        reason
    from raw_rows
    where quarter = :quarter
),

row_units as (
    select
        'reserve' as list,
        file,
        sheet,
        row_number,
        unit
    from stg_reserve
    where quarter = :quarter
    union all
    select
        'dispatch' as list,
        file,
        sheet,
        row_number,
        unit
    from stg_dispatch
    where quarter = :quarter
    union all
    select
        list,
        file,
        sheet,
        row_number,
        unit
    from int_rejected_library_rows
    where quarter = :quarter
),

sheet_units as (
    select
        list,
        file,
        sheet,
        min(unit) as unit
    from row_units
    group by list, file, sheet
    having count(distinct unit) = 1
),

file_units as (
    select
        list,
        file,
        min(unit) as unit
    from row_units
    group by list, file
    having count(distinct unit) = 1
),

received_units as (
    select
        a.list,
        a.file,
        min(u.unit) as unit
    from load_audit as a
    inner join inbox_file_units as i on a.sha256 = i.sha256 and a.list = i.list
    inner join cfg_unit as u on u.year = :year and i.units like '%"' || u.unit || '"%'
    where a.quarter = :quarter and a.list in ('reserve', 'dispatch')
    group by a.list, a.file
    having count(distinct u.unit) = 1
),

attributed as (
    select
        r.list,
        r.file,
        r.disposition,
        r.reason,
        case
            when r.list in ('reserve', 'dispatch')
                then coalesce(
                    u.unit, s.unit, f.unit, v.unit, cast(:unknown_sender as text)  -- noqa: RF02
                )
            else l.source
        end as sender
    from raw as r
    inner join cfg_list as l on r.list = l.list
    left join row_units as u
        on
            r.list = u.list and r.file = u.file and r.sheet = u.sheet
            and r.row_number = u.row_number
    left join sheet_units as s on r.list = s.list and r.file = s.file and r.sheet = s.sheet
    left join file_units as f on r.list = f.list and r.file = f.file
    left join received_units as v on r.list = v.list and r.file = v.file
),

counts as (
    select
        sender,
        list,
        count(distinct file) as files,
        count(*) as rows_read,
        sum(case when disposition = 'loaded' then 1 else 0 end) as rows_loaded,
        sum(case when disposition = 'rejected' then 1 else 0 end) as rows_rejected,
        sum(case when disposition = 'skipped' then 1 else 0 end) as rows_skipped
    from attributed
    group by sender, list
),

rules as (
    select
        sender,
        list,
        reason as rule,
        count(*) as n
    from attributed
    where disposition = 'rejected'
    group by sender, list, reason
),

ranked_rules as (
    select
        sender,
        list,
        rule,
        n,
        row_number() over (partition by sender, list order by n desc, rule asc) as pos
    from rules
),

sender_files as (
    select distinct
        sender,
        list,
        file
    from attributed
),

current_files as (
    select
        list,
        file,
        sha256
    from load_audit
    where quarter = :quarter and status = 'loaded'
),

superseded_files as (
    select
        list,
        file
    from load_audit
    where quarter = :quarter and status = 'superseded'
),

receipts as (
    select
        h.list,
        h.file,
        max(case when h.sha256 = c.sha256 then h.received_at end) as received_at,
        max(case when h.sha256 = c.sha256 then h.received_day end) as received_day,
        count(distinct h.sha256) as versions
    from load_history as h
    inner join current_files as c on h.list = c.list and h.file = c.file
    where h.quarter = :quarter and h.status = 'loaded'
    group by h.list, h.file
),

received as (
    select
        f.sender,
        f.list,
        max(r.received_at) as received_at,
        max(r.received_day) as received_day,
        sum(coalesce(r.versions, 1) - 1)
        + sum(case when x.file is not null then 1 else 0 end) as resubmissions
    from sender_files as f
    left join receipts as r on f.list = r.list and f.file = r.file
    left join superseded_files as x on f.list = x.list and f.file = x.file
    group by f.sender, f.list
),

unit_senders as (
    select
        u.unit as sender,
        l.list
    from cfg_unit as u
    cross join cfg_list as l
    where u.year = :year and l.list in ('reserve', 'dispatch')
),

bureau_senders as (
    select
        source as sender,
        list
    from cfg_list
    where list not in ('reserve', 'dispatch')
),

senders as (
    select
        sender,
        list,
        'unit' as sender_kind
    from unit_senders
    union all
    select
        sender,
        list,
        'bureau' as sender_kind
    from bureau_senders
    union all
    select
        sender,
        list,
        'unknown' as sender_kind
    from counts
    where sender = cast(:unknown_sender as text)
),

missed as (
    select
        unit,
        missed_reports as n
    from bulletin_unit_quarter
    where quarter = :quarter
),

unregistered as (
    select
        unit,
        count(*) as n
    from unregistered_projects
    where quarter = :quarter
    group by unit
)

select
    cast(:quarter as text) as quarter,
    s.sender,
    s.list,
    s.sender_kind,
    r.received_at,
    case
        when c.files is null then 0
        when r.received_day is null then null
        when r.received_day <= :deadline_day then 1 else 0  -- noqa: RF02
    end as on_time,
    case
        when r.received_day is null then null
        when r.received_day > :deadline_day  -- noqa: RF02
            then r.received_day - :deadline_day  -- noqa: RF02
        else 0
    end as days_late,
    coalesce(c.files, 0) as files,
    coalesce(r.resubmissions, 0) as resubmissions,
    coalesce(c.rows_read, 0) as rows_read,
    coalesce(c.rows_loaded, 0) as rows_loaded,
    coalesce(c.rows_rejected, 0) as rows_rejected,
    coalesce(c.rows_skipped, 0) as rows_skipped,
    case
        when coalesce(c.rows_loaded, 0) + coalesce(c.rows_rejected, 0) > 0
            then 1.0 * c.rows_rejected / (c.rows_loaded + c.rows_rejected)
    end as rejection_rate,
    t.rule as top_rule,
    t.n as top_rule_rows,
    case when s.sender_kind = 'unit' then m.n end as missed_reports,
    case when s.sender_kind = 'unit' then coalesce(g.n, 0) end as unregistered_projects,
    cast(:run_id as text) as run_id
from senders as s
left join counts as c on s.sender = c.sender and s.list = c.list
left join received as r on s.sender = r.sender and s.list = r.list
left join ranked_rules as t on s.sender = t.sender and s.list = t.list and t.pos = 1
left join missed as m on s.sender = m.unit
left join unregistered as g on s.sender = g.unit;
