"""HTML validation reports for engineers (our equivalent of GX Data Docs), one page per list and run.

Written to ``<KP_OUTPUT>/<quarter>/validation/<list>.html`` plus ``index.html``; a rerun of the
quarter replaces them, as it replaces the warehouse partition.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from keyprojects.documents.returns import rule_label
from keyprojects.ingest import validation


def _rule(code: str | None) -> str:
    """A rule code with its Chinese label beside it: ``missing_required（必填项缺失）``."""
    label = rule_label(code) if code else ""
    return f"{code}（{label}）" if label else (code or "")


_STYLE = """body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #bbb;padding:3px 8px;font-size:13px;text-align:left}th{background:#eee}
.ok{color:#176f2c}.bad{color:#b00020;font-weight:bold}"""


def _table(headers: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if c is None else str(c))}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def write_validation_report(report_dir: Path, load, verdict, rejected: list[dict], run_id: str | None,
                            max_rejections: int = 500) -> Path:
    report_dir.mkdir(parents=True, exist_ok=True)
    summary = validation.result_summary(verdict)
    parts = [f"<!doctype html><meta charset='utf-8'><title>{load.quarter} {load.list} validation</title>",
             f"<style>{_STYLE}</style><h1>{html.escape(load.quarter)} · {html.escape(load.list)}</h1>",
             f"<p>run {html.escape(str(run_id))} · status <b>{html.escape(load.status)}</b> · rows read "
             f"{load.rows_read}, loaded {load.rows_loaded}, rejected {sum(load.rows_rejected.values())}, "
             f"skipped {sum(load.rows_skipped.values())}</p>"]
    if load.errors:
        parts.append("<h2>File faults</h2><ul>" + "".join(f"<li class='bad'>{html.escape(e)}</li>" for e in load.errors)
                     + "</ul>")
    ignored = getattr(load, "ignored", None) or []
    if ignored:
        parts.append("<h2>Files ignored（未读取的文件）</h2>" + _table(
            ["file", "format", "原因", "reason"],
            [[i["file"], i["format"] or "", i["reason_zh"], i["reason_en"]] for i in ignored]))
    parts.append("<h2>Files</h2>" + _table(["file", "format", "read", "loaded", "rejected", "skipped"],
                                             [[f["file"], f.get("format") or "", f["rows_read"], f["loaded"],
                                               f["rejected"], f["skipped"]] for f in load.files]))
    parts.append("<h2>Expectations</h2>" + _table(
        ["expectation", "column", "rule", "rows checked", "unexpected", "result"],
        [[s["expectation"], s["column"], _rule(s["rule"]), s["element_count"], s["unexpected"],
          "passed" if s["success"] else "FAILED"] for s in summary]))
    parts.append("<h2>Rejected rows by rule</h2>"
                 + _table(["rule（规则）", "rows"], [[_rule(k), v] for k, v in load.rows_rejected.items()]))
    parts.append(
        "<h2>Skipped rows by reason</h2>" + _table(["reason", "rows"], [[k, v] for k, v in load.rows_skipped.items()])
    )
    shown = rejected[:max_rejections]
    parts.append(f"<h2>Rejected rows ({len(shown)} of {len(rejected)} shown)</h2>" + _table(
        ["file", "sheet", "row", "rule", "field", "value", "message"],
        [[r["file"], r["sheet"], r["row_number"], _rule(r["rule"]), r["field"], r["value"], r["message"]]
         for r in shown]))
    page = report_dir / f"{load.list}.html"
    page.write_text("\n".join(parts), encoding="utf-8")
    (report_dir / f"{load.list}.json").write_text(
        json.dumps({"load": load.as_dict(), "expectations": summary}, ensure_ascii=False, indent=1, default=str),
        encoding="utf-8")
    _write_index(report_dir)
    return page


def _write_index(report_dir: Path) -> None:
    rows = []
    for p in sorted(report_dir.glob("*.json")):
        data = json.loads(p.read_text(encoding="utf-8"))["load"]
        rows.append(f"<tr><td><a href='{html.escape(p.stem)}.html'>{html.escape(p.stem)}</a></td>"
                    f"<td>{html.escape(data['status'])}</td><td>{data['rows_read']}</td><td>{data['rows_loaded']}</td>"
                    f"<td>{sum(data['rows_rejected'].values())}</td><td>{sum(data['rows_skipped'].values())}</td></tr>")
    (report_dir / "index.html").write_text(
        f"<!doctype html><meta charset='utf-8'><style>{_STYLE}</style>"
        f"<h1>Validation · {html.escape(report_dir.parent.name)}</h1>"
        "<table><tr><th>list</th><th>status</th><th>read</th><th>loaded</th><th>rejected</th><th>skipped</th></tr>"
        + "".join(rows)
        + "</table>",
        encoding="utf-8",
    )
