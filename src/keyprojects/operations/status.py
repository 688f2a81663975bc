"""``python -m keyprojects.cli status [QUARTER | MONTH]``: a period's state from the warehouse's own records.

Per quarter: the lists and unit libraries arrived and missing with receipt times (``inbox_arrivals``,
written when the run stopped waiting; before any run, the inbox itself), rows rejected per list
(``load_audit``), the last run and its state (``run_history``: the package does not read Airflow's
database; a run killed before its end stays ``running`` there — Airflow's UI has the last word),
the files not read (``load_audit`` status ``ignored``, with their format and reason), open alerts and the
bulletin's path. Per month (``2022-03``): the 13710 exports received, the problems overdue per 责任单位,
the units that did not report, deliveries and open alerts. Every time is shown in China time (UTC+8).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from keyprojects import LISTS, db
from keyprojects.ingest import arrivals
from keyprojects.operations import alerts, history, office_queries
from keyprojects.operations.office_page import china_time


def quarter_status(engine: Engine, inbox: Path, output: Path, quarter: str) -> dict:
    rows = db.fetch(engine, """
        select list, unit, status, files, first_received, last_received, deadline, run_id, submission
        from inbox_arrivals where quarter = :q""", q=quarter)
    source = "recorded by the last run"
    if not rows:   # no run yet: look at the inbox (names only, no reading)
        source = "inbox now (no run has recorded arrivals)"
        for name, files in arrivals.quarter_files(inbox, quarter).items():
            times = sorted(f.mtime for f in files)
            rows.append({"list": name, "unit": None, "status": "arrived" if files else "missing",
                         "files": len(files), "first_received": times[0] if times else None,
                         "last_received": times[-1] if times else None, "deadline": None, "run_id": None,
                         "submission": None})
    rejected = {r["list"]: r for r in db.fetch(engine, """
        select list, sum(rows_read) as rows_read, sum(rows_loaded) as rows_loaded,
               sum(rows_rejected) as rows_rejected
        from load_audit where quarter = :q group by list""", q=quarter)}
    ignored = db.fetch(engine, """
        select list, file, format, message from load_audit
        where quarter = :q and status = 'ignored' order by list, file""", q=quarter)
    bulletins = sorted((Path(output) / quarter).glob("*.xlsx"))
    return {
        "quarter": quarter,
        "arrivals_source": source,
        "deadline": next((r["deadline"] for r in rows if r["deadline"]), None),
        "lists": [r for r in rows if r["unit"] is None],
        "units_missing": [r for r in rows if r["unit"] is not None and r["status"] == "missing"],
        "units_arrived": [r for r in rows if r["unit"] is not None and r["status"] == "arrived"],
        "rejected": rejected,
        "ignored": ignored,
        "last_run": history.last_run(engine, quarter),
        "open_alerts": alerts.open_alerts(engine, quarter=quarter),
        "bulletin": str(bulletins[0]) if bulletins else None,
    }


def known_quarters(engine: Engine, inbox: Path) -> list[str]:
    """Quarters only: month folders and the months' progress loads (in ``load_audit`` too) are not."""
    return office_queries.known_quarters(engine, inbox)


def month_status(engine: Engine, inbox: Path, output: Path, month: str) -> dict:
    page = office_queries.month_page(engine, output, month)
    folder = Path(inbox) / month / "progress"
    inbox_files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) \
        if folder.is_dir() else []
    return {**page, "inbox_files": inbox_files}


def render_month(st: dict) -> str:
    out = [f"== {st['period']}  (13710 exports)"]
    if st["files"]:
        for f in st["files"]:
            out.append(f"  {f['file']}: {f['status']}, read {f['rows_read']}, loaded {f['rows_loaded']}, "
                       f"rejected {f['rows_rejected']} (loaded {f['loaded_at'] or '-'} China time)")
    else:
        out.append("  exports loaded: none" + (f"; in the inbox: {', '.join(st['inbox_files'])}"
                                                if st["inbox_files"] else " (nothing in the inbox either)"))
    overdue = sum(d["overdue_problems"] for d in st["departments"])
    out.append(f"  problems: {sum(d['open_problems'] for d in st['departments'])} open, {overdue} overdue")
    for d in st["departments"]:
        if d["overdue_problems"]:
            out.append(f"    {d['department'] or '(no department)'}: {d['overdue_problems']} overdue "
                       f"of {d['open_problems']} open")
    if st["units_known"]:
        out.append(f"  units not reported: {', '.join(st['not_reported']) or 'none'}")
    dl = st["deliveries"]
    out.append("  deliveries: " + ("not recorded (no deliveries table yet)" if dl is None else
                                   f"{len(dl)}" + "".join(f"\n    {d['document']} -> {d['recipient']}: {d['status']}"
                                                           f" {d['sent_at'] or ''}" for d in dl)))
    out.append(f"  open alerts: {len(st['alerts'])}")
    for a in st["alerts"]:
        out.append(f"    {a['created_at']} {a['kind']:18} {a['unit'] or ''}")
    out.append("  dispatch workbook: " + (next((d["path"] for d in st["documents"] if d["path"].endswith(".xlsx")),
                                               None) or "not published"))
    return "\n".join(out)


def render(st: dict) -> str:
    out = [f"== {st['quarter']}  (arrivals: {st['arrivals_source']}"
           + (f"; deadline {china_time(st['deadline'])} China time)" if st["deadline"] else ")")]
    out.append(f"  {'list':11} {'status':8} {'files':>5}  {'last received (China)':25} {'read':>6} "
               f"{'loaded':>6} {'rejected':>8}")
    order = {n: i for i, n in enumerate(LISTS)}
    for r in sorted(st["lists"], key=lambda r: order.get(r["list"], 99)):
        a = st["rejected"].get(r["list"], {})
        out.append(f"  {r['list']:11} {r['status']:8} {r['files']:>5}  {china_time(r['last_received']) or '-':25} "
                   f"{a.get('rows_read', '-')!s:>6} {a.get('rows_loaded', '-')!s:>6} "
                   f"{a.get('rows_rejected', '-')!s:>8}" + (f"  {r['submission']}" if r.get("submission") == "逾期报送"
                                                          else ""))
    if st["units_arrived"] or st["units_missing"]:
        for lib in arrivals.UNIT_LISTS:
            got = [u for u in st["units_arrived"] if u["list"] == lib]
            miss = [u["unit"] for u in st["units_missing"] if u["list"] == lib]
            last = max((u["last_received"] for u in got), default=None)
            out.append(f"  {lib} libraries: {len(got)} units arrived (latest {china_time(last) or '-'}); missing: "
                       f"{', '.join(miss) or 'none'}")
    if st.get("ignored"):
        out.append(f"  files not read (ignored): {len(st['ignored'])}")
        for r in st["ignored"]:
            out.append(f"    {r['list']}/{r['file']} [{r['format'] or '?'}]: {(r['message'] or '')[:160]}")
    run = st["last_run"]
    out.append("  last run: " + (f"{run['run_id']} {run['state']} (started {china_time(run['started_at'])}, "
                                 f"finished {china_time(run['finished_at']) or '-'}, China time)"
                                 if run else "none recorded"))
    if run and run["state"] == "failed" and run["message"]:
        out.append(f"    {run['message'].splitlines()[0][:200]}")
    out.append(f"  open alerts: {len(st['open_alerts'])}")
    for a in st["open_alerts"]:
        what = " ".join(x for x in (a["list"], a["unit"], a["file"], a["task_id"]) if x)
        out.append(f"    {china_time(a['created_at'])} {a['kind']:18} {what}")
    out.append(f"  bulletin: {st['bulletin'] or 'not published'}")
    return "\n".join(out)
