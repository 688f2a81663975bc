-- The bulletin's header: the issuing body (config/bulletin.toml), the data cut-off (the quarter's
-- last day, :cutoff) and the tabulation date (:tabulated_on: the run's day when it lies after the
-- cut-off, else the cut-off; metrics.build_marts). Never the clock and never a row's content: a
-- typo in one row's date cannot move it. units_not_reported counts the units without a dispatch
-- library.
-- Parameters: :quarter, :cutoff, :tabulated_on, :run_id
insert into bulletin_quarter (
    quarter, issuer, data_cutoff, tabulated_on, units_not_reported, run_id
)
with

settings as (
    select max(issuer) as issuer from cfg_bulletin
),

submissions as (
    select
        unit,
        status
    from unit_submissions
    where quarter = :quarter and list = 'dispatch'
),

audit as (
    select
        list,
        status
    from load_audit
    where quarter = :quarter
),

not_reported as (
    select count(*) as n
    from submissions
    where
        status = 'not_received'
        and exists (
            select 1 from audit as a
            where a.list = 'dispatch' and a.status = 'loaded'
        )
)

select
    cast(:quarter as text) as quarter,
    s.issuer,
    cast(:cutoff as text) as data_cutoff,
    cast(:tabulated_on as text) as tabulated_on,
    n.n as units_not_reported,
    cast(:run_id as text) as run_id
from settings as s
cross join not_reported as n;
