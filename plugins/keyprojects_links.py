"""Airflow plugin ``keyprojects_links``: from a keyprojects run in the Airflow UI to its documents.

Every task of a ``keyprojects_quarterly`` run gets three extra links (global operator extra links,
computed by the API server): **Validation report**, **Bulletin** and **退回清单**. The UI cannot open
files on the server's disk, so the links point at a small FastAPI app this plugin mounts on the API
server under ``/keyprojects``. It serves, read-only, the run's quarter folder under ``KP_OUTPUT``:

* ``/keyprojects/runs/<dag_id>/<run_id>/report/``   → ``<KP_OUTPUT>/<quarter>/validation/`` (index.html)
* ``/keyprojects/runs/<dag_id>/<run_id>/bulletin/`` → the bulletin workbook the run published
* ``/keyprojects/runs/<dag_id>/<run_id>/returns/``  → ``<KP_OUTPUT>/<quarter>/退回清单/`` (a listing)

The quarter is the run's own (the ``resolve_quarter`` task's result, else the ``quarter`` parameter).
Access needs the same right as reading the DAG's runs (the UI's session cookie or a bearer token),
and only files inside the quarter's folder are served: no path traversal, no symlinks out.

The same app serves the office's page, 报送情况 (read-only, in Chinese; the queries are
``keyprojects.operations.office_queries``, the HTML ``keyprojects.operations.office_page``), linked
from the UI's navigation (an external view):

* ``/keyprojects/office/``                      → the quarters and months
* ``/keyprojects/office/2022Q4``, ``/2022-12``  → one quarter, one month
* ``/keyprojects/office/2022Q4/unit/代县``       → a unit's receipts and figures per run
* ``/keyprojects/office/files/<period>/<file>``  → a document of the period (xlsx, docx, html, eml)

It asks for the right to read DAG runs (the FAB role 办公室/Office has it, and cannot trigger).
"""


import html
import re
from pathlib import Path
from urllib.parse import quote

from airflow.plugins_manager import AirflowPlugin
from airflow.sdk import BaseOperatorLink

PREFIX = "/keyprojects"
OFFICE = "/office"
DAGS = {"keyprojects_quarterly"}
QUARTER_TASK = "resolve_quarter"
BULLETIN_TASK = "publish_bulletin"
_QUARTER = re.compile(r"^\d{4}Q[1-4]$")
# kind -> (link name, folder under <KP_OUTPUT>/<quarter>/)
KINDS = {"report": ("Validation report", "validation"), "bulletin": ("Bulletin", ""),
         "returns": ("退回清单", "退回清单")}


def _base_url() -> str:
    from airflow.configuration import conf

    base = conf.get("api", "base_url", fallback="") or ""
    return base.rstrip("/") if base.startswith("http") else "/" + base.strip("/") if base.strip("/") else ""


def run_url(kind: str, dag_id: str, run_id: str, base: str = "") -> str:
    return f"{base}{PREFIX}/runs/{quote(dag_id, safe='')}/{quote(run_id, safe='')}/{kind}/"


class _RunDocumentLink(BaseOperatorLink):
    kind = "report"

    @property
    def name(self) -> str:
        return KINDS[self.kind][0]

    def get_link(self, operator, *, ti_key) -> str:
        if ti_key.dag_id not in DAGS:
            return ""  # shown disabled on other DAGs' tasks
        return run_url(self.kind, ti_key.dag_id, ti_key.run_id, _base_url())


class ValidationReportLink(_RunDocumentLink):
    kind = "report"


class BulletinLink(_RunDocumentLink):
    kind = "bulletin"


class ReturnsLink(_RunDocumentLink):
    kind = "returns"


# --- serving the files -------------------------------------------------------------------------

class NotServable(LookupError):
    """Nothing to serve at this path (missing, outside the quarter's folder, or a bad quarter)."""


def resolve_target(output: Path, quarter: str, kind: str, path: str = "", bulletin: str | None = None) -> Path:
    """The file or folder to serve for ``kind`` and the relative ``path`` under it, strictly inside
    ``<output>/<quarter>/<kind's folder>``. Raises NotServable otherwise."""
    if kind not in KINDS:
        raise NotServable(f"unknown document kind {kind!r}")
    if not quarter or not _QUARTER.match(quarter):
        raise NotServable(f"no quarter known for this run ({quarter!r})")
    root = (Path(output) / quarter / KINDS[kind][1]).resolve()
    if kind == "bulletin" and not path.strip("/"):
        candidates = [Path(bulletin)] if bulletin else []
        candidates += sorted(root.glob("*.xlsx"), key=lambda p: p.stat().st_mtime, reverse=True)
        for c in candidates:
            c = c.resolve()
            if c.is_file() and c.parent == root:
                return c
        raise NotServable(f"no bulletin has been published for {quarter}")
    target = (root / path.lstrip("/")).resolve()
    if target != root and not target.is_relative_to(root):
        raise NotServable("outside the quarter's folder")
    if not target.exists():
        raise NotServable(f"{KINDS[kind][0]} for {quarter} not found: {quarter}/{KINDS[kind][1]}/{path}".rstrip("/"))
    if target.is_dir() and (target / "index.html").is_file():
        return target / "index.html"
    return target


def listing(folder: Path, title: str) -> str:
    items = sorted(folder.iterdir(), key=lambda p: (p.is_file(), p.name))
    rows = "".join(f'<li><a href="{quote(p.name)}{"/" if p.is_dir() else ""}">{html.escape(p.name)}'
                   f'{"/" if p.is_dir() else ""}</a></li>' for p in items if not p.name.startswith("."))
    return (f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<h1>{html.escape(title)}</h1><ul>{rows or '<li>(empty)</li>'}</ul>")


def _run_facts(session, dag_id: str, run_id: str) -> tuple[str | None, str | None]:
    """(quarter, bulletin path) of a run, from its XComs (else the run's ``quarter`` parameter)."""
    from airflow.models import DagRun
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    def xcom(task_id):
        row = session.scalar(select(XComModel).where(
            XComModel.dag_id == dag_id, XComModel.run_id == run_id, XComModel.task_id == task_id,
            XComModel.key == "return_value", XComModel.map_index == -1))
        return XComModel.deserialize_value(row) if row is not None else None

    quarter = xcom(QUARTER_TASK)
    if not isinstance(quarter, str):
        dr = session.scalar(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
        quarter = (dr.conf or {}).get("quarter") if dr is not None else None
    bulletin = xcom(BULLETIN_TASK)
    return quarter, bulletin if isinstance(bulletin, str) else None


def create_app():
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
    from airflow.api_fastapi.common.db.common import SessionDep
    from airflow.api_fastapi.core_api.security import requires_access_dag
    from fastapi import Depends, FastAPI, HTTPException
    from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

    app = FastAPI(title="keyprojects documents", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/runs/{dag_id}/{run_id}/{kind}/{path:path}",
             dependencies=[Depends(requires_access_dag("GET", DagAccessEntity.RUN))])
    def run_document(dag_id: str, run_id: str, kind: str, path: str, session: SessionDep):
        from keyprojects import settings

        if dag_id not in DAGS:
            raise HTTPException(404, f"{dag_id} has no keyprojects documents")
        quarter, bulletin = _run_facts(session, dag_id, run_id)
        try:
            target = resolve_target(settings.load().output, quarter, kind, path, bulletin)
        except NotServable as exc:
            raise HTTPException(404, str(exc)) from exc
        if target.is_dir():
            if path and not path.endswith("/"):
                return RedirectResponse(f"{PREFIX}/runs/{quote(dag_id, safe='')}/{quote(run_id, safe='')}/"
                                        f"{kind}/{quote(path)}/")
            return HTMLResponse(listing(target, f"{quarter} · {KINDS[kind][0]} · {path or ''}".rstrip(" ·")))
        if target.suffix == ".html":
            return FileResponse(target, media_type="text/html; charset=utf-8")
        return FileResponse(target, filename=target.name)

    _office_routes(app)
    return app


def _office_routes(app) -> None:
    """报送情况: thin routes over ``keyprojects.operations.office_queries`` and ``office_page``."""
    import datetime as dt

    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
    from airflow.api_fastapi.core_api.security import requires_access_dag
    from fastapi import Depends, HTTPException
    from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

    read_runs = [Depends(requires_access_dag("GET", DagAccessEntity.RUN))]
    base = PREFIX + OFFICE

    def page(template: str, build):
        from keyprojects.operations import office_page as op
        from keyprojects.operations import office_queries as oq

        s = op.page_settings()
        with op.page_engine(s) as eng:
            try:
                data = build(oq, s, eng)
            except (KeyError, ValueError) as exc:
                raise HTTPException(404, f"没有这一期或这个单位：{exc}") from exc
        return HTMLResponse(op.render(template, base=_base_url() + base, **data))

    @app.get(OFFICE, dependencies=read_runs, include_in_schema=False)
    def office_root():
        return RedirectResponse(_base_url() + base + "/")

    @app.get(OFFICE + "/", dependencies=read_runs, response_class=HTMLResponse)
    def office_index():
        return page("office_index.html", lambda oq, s, eng: {"periods": oq.periods(eng, s.inbox, s.output)})

    @app.get(OFFICE + "/files/{period}/{path:path}", dependencies=read_runs)
    def office_file(period: str, path: str):
        from keyprojects import settings
        from keyprojects.operations import office_page as op

        try:
            target = op.document_path(settings.load().output, period, path)
        except op.NotServable as exc:
            raise HTTPException(404, str(exc)) from exc
        if target.suffix == ".html":
            return FileResponse(target, media_type="text/html; charset=utf-8")
        return FileResponse(target, filename=target.name)

    @app.get(OFFICE + "/{period}", dependencies=read_runs, response_class=HTMLResponse)
    def office_period(period: str):
        from keyprojects.operations import office_page as op

        today = dt.datetime.now(op.CHINA).date()   # the days left are shown as of today, China time
        if op.is_quarter(period):
            return page("office_quarter.html", lambda oq, s, eng: {
                "page": oq.quarter_page(eng, s.output, period, today, s.deadline_days)})
        if op.is_month(period):
            return page("office_month.html", lambda oq, s, eng: {"page": oq.month_page(eng, s.output, period)})
        raise HTTPException(404, f"{period!r} 不是季度（2022Q4）或月份（2022-12）")

    @app.get(OFFICE + "/{period}/unit/{unit}", dependencies=read_runs, response_class=HTMLResponse)
    def office_unit(period: str, unit: str):
        return page("office_unit.html", lambda oq, s, eng: {"page": oq.unit_history(eng, period, unit)})


class KeyprojectsLinksPlugin(AirflowPlugin):
    name = "keyprojects_links"
    global_operator_extra_links = [ValidationReportLink(), BulletinLink(), ReturnsLink()]
    # the office's page in the UI's navigation, shown inside the UI (same origin: the login holds)
    external_views = [{"name": "报送情况", "href": PREFIX + OFFICE + "/", "destination": "nav",
                       "url_route": "keyprojects-office", "category": "keyprojects"}]

    @property
    def fastapi_apps(self):  # built only where the API server asks for it
        return [{"app": create_app(), "url_prefix": PREFIX, "name": "keyprojects documents"}]
