-- 报送质量 reconciled: per sender and list, rows read = loaded + rejected + skipped; per list, the
-- senders' rows read, loaded, rejected and skipped add up to the load audit of the quarter's
-- files read (loaded, or superseded by a resend): no row lost or counted twice by the attribution
-- to senders. mismatch = 1 where they differ.
-- Parameters: :quarter
with

quality as (
    select
        sender,
        list,
        rows_read,
        rows_loaded,
        rows_rejected,
        rows_skipped
    from submission_quality
    where quarter = :quarter
),

audit as (
    select
        list,
        sum(rows_read) as rows_read,
        sum(rows_loaded) as rows_loaded,
        sum(rows_rejected) as rows_rejected,
        sum(rows_skipped) as rows_skipped
    from load_audit
    where quarter = :quarter and status in ('loaded', 'superseded')
    group by list
),

per_list as (
    select
        list,
        sum(rows_read) as rows_read,
        sum(rows_loaded) as rows_loaded,
        sum(rows_rejected) as rows_rejected,
        sum(rows_skipped) as rows_skipped
    from quality
    group by list
),

pairs as (
    select
        sender,
        list,
        'rows_read_sum' as figure,
        rows_read as mart,
        rows_loaded + rows_rejected + rows_skipped as staging
    from quality
    union all
    select
        'all' as sender,
        coalesce(p.list, a.list) as list,
        'rows_read_audit' as figure,
        p.rows_read as mart,
        coalesce(a.rows_read, 0) as staging
    from per_list as p
    full outer join audit as a on p.list = a.list
    union all
    select
        'all' as sender,
        coalesce(p.list, a.list) as list,
        'rows_loaded_audit' as figure,
        p.rows_loaded as mart,
        coalesce(a.rows_loaded, 0) as staging
    from per_list as p
    full outer join audit as a on p.list = a.list
    union all
    select
        'all' as sender,
        coalesce(p.list, a.list) as list,
        'rows_rejected_audit' as figure,
        p.rows_rejected as mart,
        coalesce(a.rows_rejected, 0) as staging
    from per_list as p
    full outer join audit as a on p.list = a.list
    union all
    select
        'all' as sender,
        coalesce(p.list, a.list) as list,
        'rows_skipped_audit' as figure,
        p.rows_skipped as mart,
        coalesce(a.rows_skipped, 0) as staging
    from per_list as p
    full outer join audit as a on p.list = a.list
)

select
    sender,
    list,
    figure,
    mart,
    staging,
    case when coalesce(mart, 0) = staging then 0 else 1 end as mismatch
from pairs
