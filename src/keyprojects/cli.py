"""Command line helpers: ``python -m keyprojects.cli summary | init-db | status [QUARTER]``."""

from __future__ import annotations

import argparse
import sys

from keyprojects import db, settings
from keyprojects.warehouse import schema


def summary(args) -> int:
    s = settings.load()
    eng = db.make_engine(s.warehouse_url)
    try:
        rows = db.fetch(eng, """
            SELECT quarter, list, COUNT(*) AS files, SUM(rows_read) AS rows_read, SUM(rows_loaded) AS loaded,
                   SUM(rows_rejected) AS rejected, SUM(rows_skipped) AS skipped,
                   SUM(CASE WHEN status <> 'loaded' THEN 1 ELSE 0 END) AS problems
            FROM load_audit GROUP BY quarter, list ORDER BY quarter, list""")
    except Exception as exc:  # no warehouse yet
        print(f"no warehouse at {s.warehouse_url}: {exc.__class__.__name__}", file=sys.stderr)
        return 1
    finally:
        eng.dispose()
    print(f"warehouse: {s.warehouse_url}")
    print(f"{'quarter':8} {'list':11} {'files':>5} {'read':>7} {'loaded':>7} {'rejected':>8} {'skipped':>7}")
    for r in rows:
        flag = "  <- see load_audit" if r["problems"] else ""
        print(f"{r['quarter']:8} {r['list']:11} {r['files']:>5} {r['rows_read']:>7} {r['loaded']:>7} "
              f"{r['rejected']:>8} {r['skipped']:>7}{flag}")
    quarters = sorted({r["quarter"] for r in rows})
    if quarters:
        last = quarters[-1]
        index = s.output / last / "validation" / "index.html"
        if index.exists():
            print(f"validation reports: {index} (one folder per quarter)")
        bulletins = sorted((s.output / last).glob("*.xlsx"))
        if bulletins:
            print(f"bulletin for {last}: {bulletins[0]}")
        office_summary(s.output, last)
    return 0


def office_summary(output, last: str) -> None:
    """Where the office's documents are: the latest year's ranking, the quarter's draft 通报, 退回清单."""
    from keyprojects.documents.notice import notice_filename
    from keyprojects.documents.ranking_workbook import ranking_filename
    from keyprojects.documents.returns import FOLDER

    years = sorted(int(p.name) for p in output.glob("[0-9][0-9][0-9][0-9]") if p.is_dir())
    for year in years[-1:]:
        path = output / str(year) / ranking_filename(year)
        if path.exists():
            print(f"year-end ranking (年度考评) {year}: {path}")
    draft = output / last / notice_filename(last)
    if draft.exists():
        print(f"draft 通报 for {last}: {draft}")
    folder = output / last / FOLDER
    books = sorted(p.stem for p in folder.glob("*.xlsx"))
    if books:
        print(f"退回清单 for {last}: {folder}/ ({len(books)} workbooks: {'、'.join(books)})")


def init_db(args) -> int:
    s = settings.load()
    eng = db.make_engine(s.warehouse_url)
    schema.ensure_schema(eng, s.sql)
    eng.dispose()
    print(f"schema ready in {s.warehouse_url}")
    return 0


def status(args) -> int:
    from keyprojects import quarters
    from keyprojects.operations import office_page
    from keyprojects.operations import status as st

    s = settings.load()
    eng = db.make_engine(s.warehouse_url)
    try:
        schema.ensure_schema(eng, s.sql)
        if args.quarter and office_page.is_month(args.quarter.strip()):
            print(st.render_month(st.month_status(eng, s.inbox, s.output, args.quarter.strip())))
            return 0
        if args.quarter:
            try:
                quarters.parse_quarter(args.quarter)
            except ValueError:
                print(f"status: {args.quarter!r} is neither a quarter (2022Q1) nor a month (2022-03)", file=sys.stderr)
                return 2
            wanted = [args.quarter.strip().upper()]
        else:
            wanted = st.known_quarters(eng, s.inbox)
        if not wanted:
            print(f"nothing in the inbox ({s.inbox}) or the warehouse ({s.warehouse_url}) yet")
            return 0
        for q in wanted:
            print(st.render(st.quarter_status(eng, s.inbox, s.output, q)))
    finally:
        eng.dispose()
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="keyprojects")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("summary", help="what the warehouse holds and where the reports are").set_defaults(fn=summary)
    sub.add_parser("init-db", help="create or upgrade the warehouse tables (alembic upgrade head)").set_defaults(
        fn=init_db
    )
    sp = sub.add_parser("status", help="per quarter: lists and units arrived/missing, rejections, last run, "
                                       "open alerts, bulletin; per month: exports, overdue problems, deliveries")
    sp.add_argument("quarter", nargs="?", help="a quarter (2022Q1) or a month (2022-03); default: every quarter")
    sp.set_defaults(fn=status)
    args = p.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
