"""Each rule of docs/rules.md on small hand-made frames, through the committed GX suites."""

import json

import numpy as np
import pandas as pd
import pytest

from keyprojects import RULES, config
from keyprojects.ingest import normalize, validation

FIELDS = [f.name for f in config.header_fields()]


def row(n, **cells):
    """A reader-shaped row: raw text plus the parsed value the reader would give."""
    d = {"_file": "单位/a.xlsx", "_sheet": "Sheet1", "_row": n}
    for f in FIELDS:
        d[f + "_raw"] = None
        d[f] = np.nan if f in validation.AMOUNT_FIELDS else None
    for f, v in cells.items():
        d[f + "_raw"] = normalize.text(v)
        if f in validation.AMOUNT_FIELDS:
            p = normalize.parse_amount(v)
            d[f] = np.nan if p is None else p
        elif f in validation.DATE_FIELDS:
            p = normalize.parse_date(v)
            d[f] = p.isoformat() if p else None
        elif f == "unit":
            d[f] = normalize.resolve_unit(v) or normalize.text(v)
        elif f == "project_code":
            d[f] = normalize.clean_code(v)
        elif f in validation.VOCAB_FIELDS:
            d[f] = normalize.resolve_vocab(f, v) or normalize.text(v)
        else:
            d[f] = normalize.text(v)
    d["name_key"] = normalize.normalize_name(cells.get("project_name"))
    return d


GOOD = dict(
    project_name="忻州甲公司年产1万吨新材料项目", unit="忻府", nature="新建", total_investment="1,200", status="续建"
)


def run(list_name, rows):
    frame = pd.DataFrame(rows)
    verdict = validation.validate(frame, list_name, config_dir())
    return frame, verdict


def config_dir():
    from pathlib import Path

    return Path(__file__).resolve().parents[2] / "expectations"


def rules_of(verdict, n):
    return [verdict.rule(i) for i in range(n)]


@pytest.mark.parametrize("change,rule,field", [
    ({"project_name": None}, "missing_required", "project_name"),
    ({"status": None}, "missing_required", "status"),
    ({"unit": "太原市"}, "unknown_unit", "unit"),
    ({"project_code": "2203-14090-89-01-12345"}, "bad_code", "project_code"),
    ({"total_investment": "约一千万"}, "bad_number", "total_investment"),
    ({"total_investment": "-800"}, "bad_number", "total_investment"),
    ({"ytd_investment": "1300"}, "bad_number", "ytd_investment"),
    ({"start_date": "2022年13月"}, "bad_date", "start_date"),
    ({"nature": "其他类"}, "bad_value", "nature"),
    ({"status": "暂停中"}, "bad_value", "status"),
    ({"total_investment": "300"}, "below_threshold", "total_investment"),
])
def test_each_rule(change, rule, field):
    frame, verdict = run("dispatch", [row(5, **{**GOOD, **change})])
    assert verdict.rule(0) == rule
    rec = validation.rejection(frame, 0, verdict)
    assert rec["rule"] == rule and rec["field"] == field
    assert "单位/a.xlsx" in rec["message"] and "Sheet1" in rec["message"] and "row 5" in rec["message"]
    assert f"[{rule}]" in rec["message"]


def test_clean_row_passes_and_codes_written_three_ways_are_one_project():
    rows = [row(5, **GOOD, project_code="2203-140902-89-01-123456"),
            row(6, **{**GOOD, "project_name": "别的名字"}, project_code="2203 140902 89 01 123456"),
            row(7, **{**GOOD, "project_name": "第三个名字"}, project_code="22031409028901123456")]
    _, verdict = run("dispatch", rows)
    assert rules_of(verdict, 3) == [None, "duplicate", "duplicate"]


def test_first_fault_in_rule_order_wins_and_message_names_the_others():
    # unknown unit + bad number + below threshold: unknown_unit comes first
    frame, verdict = run(
        "dispatch", [row(9, **{**GOOD, "unit": "阳曲县", "annual_plan": "很多", "total_investment": "100"})]
    )
    assert verdict.rule(0) == "unknown_unit"
    msg = validation.rejection(frame, 0, verdict)["message"]
    assert "bad_number(annual_plan)" in msg and "below_threshold(total_investment)" in msg
    # missing_required beats everything
    _, verdict = run("dispatch", [row(9, **{**GOOD, "project_name": None, "unit": "阳曲县"})])
    assert verdict.rule(0) == "missing_required"


def test_duplicates_only_among_otherwise_valid_rows_first_occurrence_loads():
    rows = [row(5, **{**GOOD, "total_investment": "100"}),  # below threshold: not a first occurrence
            row(6, **GOOD),                                # loads
            row(7, **{**GOOD, "project_name": "忻州甲公司 年产1万吨新材料 建设项目"}),  # same normalised name
            row(8, **{**GOOD, "unit": "代县"})]           # same name, other unit: a different project
    frame, verdict = run("dispatch", rows)
    assert rules_of(verdict, 4) == ["below_threshold", None, "duplicate", None]
    assert "row 6" in validation.rejection(frame, 2, verdict)["message"]


def test_required_fields_differ_by_list():
    # the approved list requires a code; the reserve list does not require nature or status
    _, v = run("approved", [row(5, project_name="甲", unit="代县", approval_type="备案", approval_date="2022.3.1",
                                total_investment="900")])
    assert v.rule(0) == "missing_required"
    _, v = run("reserve", [row(5, project_name="甲", unit="代县", total_investment="900")])
    assert v.rule(0) is None


def test_suites_agree_with_configuration():
    for name, spec in config.list_specs().items():
        suite = json.loads((config_dir() / f"{name}.json").read_text(encoding="utf-8"))
        required = {e["meta"]["field"] for e in suite["expectations"] if e["meta"]["rule"] == "missing_required"
                    and "row_condition" not in e["kwargs"]}  # conditional ones (progress: raised_on)
        assert required == set(spec.required), name
        assert {e["meta"]["rule"] for e in suite["expectations"]} == set(RULES), name


def test_a_suite_with_an_unknown_rule_is_refused(tmp_path):
    bad = validation.default_suite("reserve")
    bad["expectations"][0]["meta"]["rule"] = "nonsense"
    (tmp_path / "reserve.json").write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(ValueError, match="nonsense"):
        validation.load_suite(tmp_path, "reserve")


def test_a_list_validated_in_parts_gives_the_verdict_of_the_whole():
    rows = [row(5, **{**GOOD, "total_investment": "100"}),  # below threshold: not a first occurrence
            row(6, **GOOD),                                # loads
            row(7, **{**GOOD, "project_name": "忻州甲公司 年产1万吨新材料 建设项目"}),  # duplicate of row 6
            row(8, **{**GOOD, "unit": "代县"}),            # another project
            row(9, **{**GOOD, "unit": "代县"})]            # duplicate of row 8, in the same part
    for r in rows[2:]:
        r["_file"] = "单位/b.xlsx"
    whole_frame, whole = run("dispatch", rows)
    seen = validation.Seen()
    part1 = pd.DataFrame(rows[:2])
    part2 = pd.DataFrame(rows[2:])
    v1 = validation.validate(part1, "dispatch", config_dir(), seen=seen)
    assert seen == {validation.dup_keys(part1).iloc[1]: ("单位/a.xlsx", "Sheet1", 6)}
    v2 = validation.validate(part2, "dispatch", config_dir(), seen=seen)
    assert rules_of(v1, 2) + rules_of(v2, 3) == rules_of(whole, 5) == [
        "below_threshold", None, "duplicate", None, "duplicate"]
    # the messages name the first occurrence, in an earlier part or in the same one
    assert validation.rejection(part2, 0, v2)["message"] == validation.rejection(whole_frame, 2, whole)["message"]
    assert "单位/a.xlsx, sheet Sheet1, row 6" in validation.rejection(part2, 0, v2)["message"]
    assert validation.rejection(part2, 2, v2)["message"] == validation.rejection(whole_frame, 4, whole)["message"]
    # the report's expectation counts are summed over the parts
    both = validation.Verdict(results=v1.results + v2.results)
    checked = {(s["expectation"], s["column"]): s["element_count"] for s in validation.result_summary(both)}
    assert checked[("expect_column_values_to_not_be_null", "project_name_raw")] == 5


def test_gx_runs_without_importing_altair_or_scipy_stats():
    """Great Expectations' altair and scipy.stats imports are deferred (validation.import_gx): a
    fresh process validates a list and never loads them; with the root logger at INFO (as in a task),
    importing GX logs nothing of its own (its docs registry's ~200 lines are silenced first)."""
    import subprocess
    import sys

    code = (
        "import logging; logging.basicConfig(level=logging.INFO, format='LOG %(name)s %(message)s')\n"
        "import sys, pandas as pd\n"
        "from keyprojects.ingest import validation\n"
        "r = validation.run_suite(pd.DataFrame({'x': [1.0, None]}), {'name': 's', 'expectations': [\n"
        "    {'type': 'expect_column_values_to_not_be_null', 'kwargs': {'column': 'x'}}]}, {})\n"
        "print(r.success, r.results[0].result['unexpected_count'],\n"
        "      [type(sys.modules.get(m)).__name__ for m in validation.DEFERRED_MODULES])\n"
        "from scipy import stats\n"
        "print(round(float(stats.entropy([0.5, 0.5])), 4))\n"  # a deferred module still works when used
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "GX_ANALYTICS_ENABLED": "False"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[:2] == ["False 1 ['_Deferred', '_Deferred']", "0.6931"]
    gx_lines = [line for line in out.stderr.splitlines() if line.startswith("LOG great_expectations")]
    assert not gx_lines, gx_lines[:3]


CODE = "2203-140902-89-01-123456"


@pytest.mark.parametrize("list_name", ["registered", "dispatch", "energy"])
def test_a_project_listed_with_and_without_its_code_is_one_project_either_way(list_name):
    """docs/rules.md 'Duplicates': a code-less row whose unit|name equals an earlier loaded row's
    (with or without code) is a duplicate; so is a row with a code whose unit|name equals an
    earlier loaded code-less row's. The first in read order loads; the message names it."""
    base = {**GOOD, "ytd_investment": "300", "approver": "国网忻州供电公司", "approval_date": "2022.3.1"}
    spelled = {**base, "project_name": "忻州甲公司 年产1万吨新材料 建设项目"}
    # code first, then without code (the other spelling of the same name)
    frame, verdict = run(list_name, [row(5, **base, project_code=CODE), row(6, **spelled)])
    assert rules_of(verdict, 2) == [None, "duplicate"]
    rec = validation.rejection(frame, 1, verdict)
    assert rec["field"] == "project_name" and "from 单位/a.xlsx, sheet Sheet1, row 5 [duplicate]" in rec["message"]
    # without code first, then with it
    frame, verdict = run(list_name, [row(5, **spelled), row(6, **base, project_code=CODE)])
    assert rules_of(verdict, 2) == [None, "duplicate"]
    rec = validation.rejection(frame, 1, verdict)
    assert rec["field"] == "project_code" and "row 5 [duplicate]" in rec["message"]
    # another unit's project of the same name is another project; two codes are two projects
    _, verdict = run(list_name, [row(5, **base, project_code=CODE), row(6, **{**spelled, "unit": "代县"}),
                                 row(7, **base, project_code="2203-140902-89-01-654321")])
    assert rules_of(verdict, 3) == [None, None, None]


def test_code_and_name_duplicates_count_only_loaded_rows_and_name_the_earliest():
    other_code = "2203-140902-89-01-654321"
    rows = [row(5, **{**GOOD, "total_investment": "100"}),        # below threshold: not a first occurrence
            row(6, **GOOD, project_code=CODE),                      # loads
            row(7, **GOOD, project_code=other_code),                # another code, same name: another project
            row(8, **GOOD),                                         # no code: the project of row 6 (the earliest)
            row(9, **{**GOOD, "project_name": "别的名字"}, project_code=other_code)]  # row 7's code
    frame, verdict = run("dispatch", rows)
    assert rules_of(verdict, 5) == ["below_threshold", None, None, "duplicate", "duplicate"]
    assert "row 6 [duplicate]" in validation.rejection(frame, 3, verdict)["message"]
    assert "row 7 [duplicate]" in validation.rejection(frame, 4, verdict)["message"]


def test_with_and_without_code_across_parts_of_a_list():
    first = row(5, **GOOD, project_code=CODE)
    later = [row(6, **{**GOOD, "unit": "代县"}), row(7, **GOOD), row(8, **{**GOOD, "unit": "代县"}, project_code=CODE)]
    for r in later:
        r["_file"] = "单位/b.xlsx"
    whole_frame, whole = run("dispatch", [first, *later])
    seen = validation.Seen()
    v1 = validation.validate(pd.DataFrame([first]), "dispatch", config_dir(), seen=seen)
    part2 = pd.DataFrame(later)
    v2 = validation.validate(part2, "dispatch", config_dir(), seen=seen)
    # row 8 has row 5's code (the first) and row 6's unit|name (no code): the earlier, row 5, is named
    assert rules_of(v1, 1) + rules_of(v2, 3) == rules_of(whole, 4) == [None, None, "duplicate", "duplicate"]
    for i in (1, 2):
        whole_msg = validation.rejection(whole_frame, i + 1, whole)["message"]
        assert validation.rejection(part2, i, v2)["message"] == whole_msg
    assert "单位/a.xlsx, sheet Sheet1, row 5 [duplicate]" in validation.rejection(part2, 2, v2)["message"]
