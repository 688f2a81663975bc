-- The quarter's rows of bulletin_unit_quarter, as the mart checks read them.
-- Parameters: :quarter
select * from bulletin_unit_quarter where quarter = :quarter
