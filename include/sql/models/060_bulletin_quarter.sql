-- The bulletin's header: the issuing body (config/bulletin.toml), the data cut-off (the quarter's
-- last day, :cutoff) and the tabulation date: the latest 立项/签约 date the quarter's loaded rows
-- carry when the bureaus' lists go past the cut-off, else the cut-off. Never the clock, so a
-- rerun writes the same header. units_not_reported counts the units without a dispatch library.
-- Parameters: :quarter, :cutoff, :run_id
insert into bulletin_quarter (
    quarter, issuer, data_cutoff, tabulated_on, units_not_reported, run_id
)
with

settings as (
    select max(issuer) as issuer from cfg_bulletin
),

project_rows as (
    select
        approval_date,
        signing_date
    from int_project_rows
    where quarter = :quarter
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

dates as (
    select max(d) as latest
    from (
        select approval_date as d from project_rows
        union all
        select signing_date as d from project_rows
    ) as x
    where d is not null
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
    case
        when d.latest > cast(:cutoff as text) then d.latest
        else cast(:cutoff as text)
    end as tabulated_on,
    n.n as units_not_reported,
    cast(:run_id as text) as run_id
from settings as s
cross join dates as d
cross join not_reported as n;
