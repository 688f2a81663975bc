-- The quarter's rows of bulletin_unit_quarter, as the mart checks read them.
-- Parameters: :quarter
select
    quarter,
    unit,
    reserve_status,
    dispatch_status,
    start_rate,
    registration_rate,
    yiyuan_share,
    cluster_share
from bulletin_unit_quarter
where quarter = :quarter
