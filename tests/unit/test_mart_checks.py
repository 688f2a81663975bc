"""Write-audit-publish: the mart checks pass on built marts and name the check a corruption breaks."""

from pathlib import Path

import pytest

from keyprojects.warehouse import mart_checks

from .test_metrics import build, hand_made_quarter

ROOT = Path(__file__).resolve().parents[2]
SQL, EXPECTATIONS = ROOT / "include" / "sql", ROOT / "expectations"


@pytest.fixture
def built(sqlite_engine):
    hand_made_quarter(sqlite_engine)
    build(sqlite_engine, "2022Q1")
    return sqlite_engine


def check(engine):
    return mart_checks.check_marts(engine, "2022Q1", SQL, EXPECTATIONS)


def corrupt(engine, sql):
    with engine.begin() as conn:
        conn.exec_driver_sql(sql)


def test_built_marts_pass_every_check(built):
    summary = check(built)
    assert summary["checks"] == ["city_equals_city_targets", "city_equals_sum_of_units",
                                 "counts_reconcile_with_staging", "one_row_per_unit", "rates_between_0_and_1",
                                 "statuses_known", "submission_quality_reconciles"]


@pytest.mark.parametrize("sql, name", [
    ("UPDATE bulletin_unit_quarter SET start_rate = 1.5 WHERE unit = '忻府区'", "rates_between_0_and_1"),
    ("DELETE FROM bulletin_unit_quarter WHERE unit = '偏关县'", "one_row_per_unit"),
    ("UPDATE bulletin_group_quarter SET dispatch_projects = dispatch_projects + 1 WHERE group_kind = 'city'",
     "city_equals_sum_of_units"),
    ("UPDATE city_targets SET actual = actual + 1 WHERE indicator = 'industrial_investment' AND measure = 'amount'",
     "city_equals_city_targets"),
    ("UPDATE bulletin_unit_quarter SET dispatch_projects = 2 WHERE unit = '忻府区'", "counts_reconcile_with_staging"),
    ("DELETE FROM submission_quality WHERE sender = '忻府区' AND list = 'dispatch'", "submission_quality_reconciles"),
])
def test_a_corrupt_mart_fails_naming_the_check(built, sql, name):
    corrupt(built, sql)
    with pytest.raises(mart_checks.MartCheckFailed) as err:
        check(built)
    assert name in str(err.value)
