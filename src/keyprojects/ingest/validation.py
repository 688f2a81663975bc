"""Row validation with Great Expectations 1.x, one suite per list (``expectations/<list>.json``).

Each expectation carries ``meta.rule`` (a rule code of docs/rules.md) and ``meta.field``. A row's
faults are the expectations it fails; it is rejected under its first fault in rule order. Suite
parameters (``{"$PARAMETER": ...}``) take units, vocabularies and the threshold from configuration.

``python -m keyprojects.ingest.validation --write-suites DIR`` writes the default suites.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import os
import re
import sys
import types
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from keyprojects import AMOUNT_FIELDS, DATE_FIELDS, LISTS, RULES, VOCAB_FIELDS, config

if TYPE_CHECKING:  # pandas is imported by whoever builds the frame: an empty list never pays for it
    import pandas as pd

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

CODE_REGEX = r"^(?:(?:199\d|20[01]\d|2020)|\d{2}(?:0[1-9]|1[0-2]))-\d{6}-\d{2}-\d{2}-\d{6}$"

FIELD_LABELS = {
    "project_code": "项目代码", "project_name": "项目名称", "unit": "县(市、区)", "owner": "建设单位",
    "nature": "建设性质", "cluster": "所属产业集群", "total_investment": "总投资", "annual_plan": "年度计划投资",
    "ytd_investment": "本年累计完成投资", "month_investment": "本月完成投资", "approval_type": "立项类型",
    "approval_date": "立项时间", "approver": "批复单位", "status": "开工状态", "start_date": "开工时间",
    "signing_date": "签约时间", "registered_flag": "是否入统", "registered_date": "入统时间",
}
RULE_WORDS = {
    "missing_required": "is blank but required",
    "unknown_unit": "names none of the 16 reporting units",
    "bad_code": "is not a project code (YYMM-DDDDDD-NN-NN-NNNNNN)",
    "bad_number": "is not a valid amount",
    "bad_date": "is not a date",
    "bad_value": "is not in the vocabulary",
    "below_threshold": "is below the 500万元 threshold",
    "duplicate": "repeats a project already loaded",
}
_RULE_ORDER = {r: i for i, r in enumerate(RULES)}


# ------------------------------------------------------------------ suites

def _exp(type_: str, rule: str, field_: str, **kwargs) -> dict:
    return {"type": type_, "kwargs": kwargs, "meta": {"rule": rule, "field": field_}}


def default_suite(list_name: str) -> dict:
    """The default suite of a list as a JSON-ready dict (the committed JSON is the one used)."""
    spec = config.list_specs()[list_name]
    exps = [
        _exp("expect_column_values_to_not_be_null", "missing_required", f, column=f"{f}_raw") for f in spec.required
    ]
    exps.append(_exp("expect_column_values_to_be_in_set", "unknown_unit", "unit",
                     column="unit", value_set={"$PARAMETER": "units"}))
    exps.append(_exp("expect_column_values_to_match_regex", "bad_code", "project_code",
                     column="project_code", regex=CODE_REGEX))
    for f in AMOUNT_FIELDS:
        exps.append(_exp("expect_column_values_to_not_be_null", "bad_number", f, column=f,
                         row_condition=f"{f}_raw.notnull()", condition_parser="pandas"))
        exps.append(_exp("expect_column_values_to_be_between", "bad_number", f, column=f, min_value=0))
    exps.append(_exp("expect_column_pair_values_a_to_be_greater_than_b", "bad_number", "ytd_investment",
                     column_A="total_investment", column_B="ytd_investment", or_equal=True,
                     ignore_row_if="either_value_is_missing"))
    for f in DATE_FIELDS:
        exps.append(_exp("expect_column_values_to_not_be_null", "bad_date", f, column=f,
                         row_condition=f"{f}_raw.notnull()", condition_parser="pandas"))
    for f in VOCAB_FIELDS:
        exps.append(_exp("expect_column_values_to_be_in_set", "bad_value", f, column=f,
                         value_set={"$PARAMETER": f"{f}_values"}))
    exps.append(_exp("expect_column_values_to_be_between", "below_threshold", spec.threshold_field,
                     column=spec.threshold_field, min_value={"$PARAMETER": "threshold"}))
    exps.append(_exp("expect_column_values_to_be_unique", "duplicate", "project", column="dup_key"))
    return {"name": f"keyprojects_{list_name}", "expectations": exps,
            "meta": {"list": list_name, "rules": "docs/rules.md"}}


def suite_parameters(list_name: str) -> dict:
    params = {"units": [u.name for u in config.units()], "threshold": config.list_specs()[list_name].threshold}
    for voc, table in config.vocab().items():
        params[f"{voc}_values"] = sorted(set(table.values()))
    return params


@lru_cache(maxsize=None)
def _suite_json(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def load_suite(expectations_dir: Path, list_name: str) -> dict:
    path = Path(expectations_dir) / f"{list_name}.json"
    if not path.exists():
        raise FileNotFoundError(f"no expectation suite for list {list_name!r}: {path}")
    suite = json.loads(_suite_json(str(path)))
    for e in suite["expectations"]:
        rule = e.get("meta", {}).get("rule")
        if rule not in _RULE_ORDER:
            raise ValueError(f"{path}: expectation {e['type']} has meta.rule {rule!r}, not one of {RULES}")
    return suite


# ------------------------------------------------------------------ running GX

class _Deferred(types.ModuleType):
    """A module imported on its first attribute use. Great Expectations imports altair and
    scipy.stats at import time for one expectation's charts and statistics (KL divergence), which
    no suite of ours uses: ~1.2 s and ~80 MB per process (bench/README.md). Anything that does use
    them gets the real module on first touch."""

    def __init__(self, name: str):
        super().__init__(name)
        self.__spec__ = importlib.util.find_spec(name)

    def __getattr__(self, attr: str):
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attr)


DEFERRED_MODULES = ("altair", "scipy.stats")


def import_gx():
    """``great_expectations``, imported with ``DEFERRED_MODULES`` deferred (when not yet imported).

    GX logs ~200 INFO lines of its docs registry while it is imported ("Skipping registering
    function ..."): its loggers are set to WARNING first, so a task's log holds our lines, not those.
    (``data_context.types.base`` sets its own logger to INFO when imported: set again after.)"""
    if "great_expectations" not in sys.modules:
        for name in GX_QUIET_LOGGERS[:2]:
            logging.getLogger(name).setLevel(logging.WARNING)
        for name in DEFERRED_MODULES:
            if name not in sys.modules and importlib.util.find_spec(name) is not None:
                sys.modules[name] = _Deferred(name)
    import great_expectations

    for name in GX_QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return great_expectations


GX_QUIET_LOGGERS = ("great_expectations", "great_expectations._docs_decorators",
                    "great_expectations.data_context.types.base")


@lru_cache(maxsize=1)
def _context():
    gx = import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    batch_def = ctx.data_sources.add_pandas("keyprojects").add_dataframe_asset("rows") \
        .add_batch_definition_whole_dataframe("whole")
    return ctx, batch_def


# Only the unexpected row indices and counts are used: COMPLETE (the one format listing every index)
# without the unexpected values, their value counts, or the pandas query string naming every index.
RESULT_FORMAT = {"result_format": "COMPLETE", "return_unexpected_index_query": False,
                 "exclude_unexpected_values": True, "partial_unexpected_count": 0}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def suite_columns(suite_dict: dict, columns) -> list[str]:
    """The columns of ``columns`` the suite's expectations read (column kwargs and row conditions);
    all of them when an expectation is about the table (its columns, its row count)."""
    used = set()
    for e in suite_dict["expectations"]:
        if e["type"].startswith("expect_table_"):
            return list(columns)
        kw = e["kwargs"]
        used.update(kw[k] for k in ("column", "column_A", "column_B") if isinstance(kw.get(k), str))
        for k in ("column_list", "column_set"):
            if isinstance(kw.get(k), (list, tuple, set)):
                used.update(kw[k])
        if isinstance(kw.get("row_condition"), str):
            used.update(_IDENTIFIER.findall(kw["row_condition"]))
    return [c for c in columns if c in used]


def run_suite(frame: pd.DataFrame, suite_dict: dict, parameters: dict, result_format: dict | None = None):
    """Validate ``frame`` (RangeIndex) against a suite dict; returns the GX validation result
    (``result_format``: GX's, COMPLETE by default; ``validate`` asks for ``RESULT_FORMAT``).

    GX sees only the columns the suite reads (it hashes and copies the batch's frame)."""
    gx = import_gx()

    _, batch_def = _context()
    suite = gx.ExpectationSuite(name=suite_dict["name"], expectations=[
        gx.expectations.registry.get_expectation_impl(e["type"])(**e["kwargs"], meta=e.get("meta"))
        for e in suite_dict["expectations"]
    ])
    batch = batch_def.get_batch(batch_parameters={"dataframe": frame[suite_columns(suite_dict, frame.columns)]})
    return batch.validate(suite, expectation_parameters=parameters,
                          result_format=result_format or {"result_format": "COMPLETE"})


@dataclass
class Verdict:
    """The outcome for a list's frame: per row index, its faults (first one decides). A duplicate's
    first occurrence is a row index of the same frame, or ``(file, sheet, row)`` of an earlier one."""
    faults: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    duplicate_of: dict[int, int | tuple[str, str, int]] = field(default_factory=dict)
    results: list = field(default_factory=list)

    def rule(self, idx: int) -> str | None:
        f = self.faults.get(idx)
        return f[0][0] if f else None


def dup_keys(frame: pd.DataFrame) -> pd.Series:
    """A row's own project key within a list: its valid code, else ``name:unit|normalised name``."""
    code_ok = frame["project_code"].where(frame["project_code"].fillna("").str.match(CODE_REGEX), None)
    return code_ok.where(code_ok.notna(), _name_keys(frame)).astype(object)


def _name_keys(frame: pd.DataFrame) -> pd.Series:
    return "name:" + frame["unit"].fillna("").astype(str) + "|" + frame["name_key"].fillna("").astype(str)


class ProjectIndex:
    """The loaded rows of a list so far, in read order, by code and by unit|name (docs/rules.md,
    'Duplicates'): two rows are one project when their codes are equal, or when at least one of
    them has no code and their unit|name keys are equal."""

    def __init__(self):
        self._n = 0
        self._by_code: dict[str, tuple[int, str]] = {}      # code -> (order, identity)
        self._by_name: dict[str, tuple[int, str]] = {}      # unit|name -> first loaded row with it
        self._codeless: dict[str, tuple[int, str]] = {}     # unit|name -> first loaded code-less row

    def match(self, code: str | None, name: str) -> str | None:
        """The identity of the earliest loaded row that is the same project, or None."""
        hits = [self._by_code.get(code), self._codeless.get(name)] if code else [self._by_name.get(name)]
        hits = [h for h in hits if h is not None]
        return min(hits)[1] if hits else None

    def add(self, code: str | None, name: str) -> str:
        """Record a loaded row; returns its identity (its own key)."""
        identity = code or name
        entry = (self._n, identity)
        self._n += 1
        if code:
            self._by_code.setdefault(code, entry)
        else:
            self._codeless.setdefault(name, entry)
        self._by_name.setdefault(name, entry)
        return identity


class Seen(dict):
    """What a list validated in parts carries from part to part: the identity of every row loaded
    in an earlier part -> its (file, sheet, row), and their ``index``."""

    def __init__(self):
        super().__init__()
        self.index = ProjectIndex()


def project_keys(frame: pd.DataFrame, positions: list[int], index: ProjectIndex) -> list[str]:
    """For the rows at ``positions`` (those passing rules 1-7, in read order): the identity of the
    earlier loaded row they repeat, else their own key (then they load, and ``index`` learns them).
    Rows sharing a key are thus one project, the first of them loading."""
    codes = frame["project_code"].where(frame["project_code"].fillna("").str.match(CODE_REGEX), None).tolist()
    names = _name_keys(frame).tolist()
    out = []
    for i in positions:
        code = codes[i] if isinstance(codes[i], str) else None
        hit = index.match(code, names[i])
        out.append(hit if hit is not None else index.add(code, names[i]))
    return out


def validate(frame: pd.DataFrame, list_name: str, expectations_dir: Path,
             seen: Seen | None = None) -> Verdict:
    """Apply the list's suite to ``frame`` (read order, RangeIndex); see docs/rules.md.

    A list validated in parts (frames in read order) passes the same ``Seen`` to each: it holds the
    project of every row that passed in an earlier part with that row's (file, sheet, row), so a
    project repeated across parts is a duplicate as it is within one frame; this part's passing rows
    are added to it."""
    if seen is not None and not isinstance(seen, Seen):
        raise TypeError("seen: a validation.Seen (it carries the code and name index across parts)")
    suite = load_suite(expectations_dir, list_name)
    params = suite_parameters(list_name)
    verdict = Verdict()
    if frame.empty:
        return verdict
    frame = frame.reset_index(drop=True)
    row_exps = [e for e in suite["expectations"] if e["meta"]["rule"] != "duplicate"]
    dup_exps = [e for e in suite["expectations"] if e["meta"]["rule"] == "duplicate"]

    result = run_suite(frame, {**suite, "expectations": row_exps}, params, RESULT_FORMAT)
    verdict.results.append(result)
    for res in result.results:
        meta = res.expectation_config.meta or {}
        for idx in res.result.get("unexpected_index_list") or ():
            i = idx if isinstance(idx, int) else int(idx.get("index", idx)) if isinstance(idx, dict) else int(idx)
            verdict.faults.setdefault(i, []).append((meta["rule"], meta["field"]))

    positions = [i for i in range(len(frame)) if i not in verdict.faults]
    index = seen.index if seen is not None else ProjectIndex()
    import pandas as pd

    passing = pd.DataFrame({"dup_key": pd.Series(project_keys(frame, positions, index), index=positions,
                                                 dtype=object)})
    if dup_exps and not passing.empty:
        sub = passing.reset_index(names="_orig")
        prior = [k for k in dict.fromkeys(passing["dup_key"].tolist()) if seen and k in seen]
        if prior:  # earlier parts' projects that rows of this part repeat, first (_orig -1)
            sub = pd.concat([pd.DataFrame({"_orig": pd.Series(-1, index=range(len(prior)), dtype="int64"),
                                           "dup_key": pd.Series(prior, dtype=object)}), sub], ignore_index=True)
        dres = run_suite(sub, {**suite, "expectations": dup_exps}, params, RESULT_FORMAT)
        verdict.results.append(dres)
        flagged = set()
        for res in dres.results:
            flagged.update(res.result.get("unexpected_index_list") or ())
        first: dict[str, int | tuple[str, str, int]] = {}
        for pos in sorted(flagged):
            key, orig = sub.at[pos, "dup_key"], int(sub.at[pos, "_orig"])
            if key in first:
                verdict.faults[orig] = [("duplicate", "project")]
                verdict.duplicate_of[orig] = first[key]
            else:
                first[key] = seen[key] if orig < 0 else orig
    if seen is not None:
        files, sheets, rownums = frame["_file"].tolist(), frame["_sheet"].tolist(), frame["_row"].tolist()
        for i, key in zip(passing.index.tolist(), passing["dup_key"].tolist(), strict=True):
            if i not in verdict.faults and key not in seen:
                seen[key] = (files[i], sheets[i], int(rownums[i]))
    for faults in verdict.faults.values():
        faults.sort(key=lambda rf: _RULE_ORDER[rf[0]])
    return verdict


class _Row:
    """Row ``idx`` (a position) of a frame, read cell by cell: building the whole row as a Series
    costs more than the few cells a message needs (``arrays``: {column: numpy array}, faster)."""

    __slots__ = ("_frame", "_idx", "_arrays")

    def __init__(self, frame: pd.DataFrame, idx: int, arrays: dict | None = None):
        self._frame, self._idx, self._arrays = frame, idx, arrays

    def __getitem__(self, column: str):
        if self._arrays is not None:
            return self._arrays[column][self._idx]
        return self._frame.iat[self._idx, self._frame.columns.get_loc(column)]

    def get(self, column: str, default=None):
        return self[column] if column in (self._frame.columns if self._arrays is None else self._arrays) else default


def rejection(frame: pd.DataFrame, idx: int, verdict: Verdict, arrays: dict | None = None) -> dict:
    """The rejected_rows record of row ``idx``: rule, field, value and a message naming them all."""
    row = _Row(frame, idx, arrays)
    rule, fld = verdict.faults[idx][0]
    where = f"{row['_file']}, sheet {row['_sheet']}, row {row['_row']}"
    if rule == "duplicate":
        first = verdict.duplicate_of[idx]
        if isinstance(first, tuple):  # read in an earlier part of the list
            o_file, o_sheet, o_row = first
        else:
            other = _Row(frame, first, arrays)
            o_file, o_sheet, o_row = other["_file"], other["_sheet"], other["_row"]
        fld = "project_code" if _present(row.get("project_code")) else "project_name"
        value = row.get(f"{fld}_raw")
        msg = (f"{where}: project {value!r} {RULE_WORDS[rule]} from {o_file}, sheet {o_sheet}, "
               f"row {o_row} [duplicate]")
    else:
        value = row.get(f"{fld}_raw")
        label = FIELD_LABELS.get(fld, fld)
        if rule == "bad_number" and fld == "ytd_investment" and _present(row.get("ytd_investment")):
            detail = (f"year-to-date completed {row['ytd_investment']:g}万元 exceeds total investment "
                      f"{row['total_investment']:g}万元")
        elif rule == "below_threshold":
            detail = f"value {value!r} = {row[fld]:g}万元 {RULE_WORDS[rule]}"
        elif rule == "missing_required":
            detail = RULE_WORDS[rule]
        else:
            detail = f"value {value!r} {RULE_WORDS[rule]}"
        msg = f"{where}, field {label} ({fld}): {detail} [{rule}]"
        others = [f"{r}({f})" for r, f in verdict.faults[idx][1:]]
        if others:
            msg += "; also: " + ", ".join(others)
    return {"rule": rule, "field": fld, "value": None if value is None else str(value), "message": msg}


def _present(v) -> bool:
    return v is not None and not (isinstance(v, float) and v != v)


def result_summary(verdict: Verdict) -> list[dict]:
    """Per expectation: type, rule, field, success, unexpected count (for reports). A list validated
    in parts has one result per part: an expectation's counts are summed over them."""
    out: dict[tuple, dict] = {}
    for result in verdict.results:
        for res in result.results:
            cfg = res.expectation_config
            row = {
                "expectation": cfg.type, "rule": (cfg.meta or {}).get("rule"), "field": (cfg.meta or {}).get("field"),
                "column": cfg.kwargs.get("column") or f"{cfg.kwargs.get('column_A')}≥{cfg.kwargs.get('column_B')}",
                "success": bool(res.success), "unexpected": int(res.result.get("unexpected_count") or 0),
                "element_count": int(res.result.get("element_count") or 0),
            }
            key = (row["expectation"], row["rule"], row["field"], row["column"])
            if key in out:
                have = out[key]
                have["success"] = have["success"] and row["success"]
                have["unexpected"] += row["unexpected"]
                have["element_count"] += row["element_count"]
            else:
                out[key] = row
    return list(out.values())


def write_default_suites(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in LISTS:
        p = directory / f"{name}.json"
        p.write_text(json.dumps(default_suite(name), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        paths.append(p)
    return paths


if __name__ == "__main__":  # pragma: no cover
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "--write-suites":
        for p in write_default_suites(Path(sys.argv[2])):
            print(p)
    else:
        print(__doc__)
        sys.exit(2)
