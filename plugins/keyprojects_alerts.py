"""The keyprojects notifier: every alert goes to the warehouse's ``alerts`` table, the task log and,
when an Airflow connection ``kp_smtp`` is defined, by email through the SMTP provider's notifier.

Attach it to a DAG with one line (the plugins folder is on Airflow's import path):

    from keyprojects_alerts import failure_notifier
    @dag(..., default_args={..., "on_failure_callback": failure_notifier()})

A task that fails for good (after its retries) then raises a ``failed`` alert (``check_failed`` for
``check_marts``) naming the period (the run's ``quarter`` or ``month`` parameter, else its data
interval), the task, the error and the file it names; the run is marked failed in ``run_history``.
Tasks raise other alerts (late lists and units) with ``send_alerts(alerts, context)``.

Recipients: ``KP_ALERT_TO`` (comma-separated), else the connection's extra ``{"to": …}``; sender:
``KP_ALERT_FROM``, else the connection's ``from_email`` extra, else ``keyprojects@localhost``.
Nothing heavy is imported at module level: DAG files import this while being parsed.
"""

from __future__ import annotations

import logging

from airflow.sdk import BaseNotifier

log = logging.getLogger("keyprojects.operations.alerts")
SMTP_CONN_ID = "kp_smtp"


def _period(context) -> tuple[str | None, str | None]:
    """(quarter, month) of the run: its parameter, else its data interval."""
    from keyprojects import quarters

    params = context.get("params") or {}
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    try:
        if "month" in params:
            return None, quarters.month_from_interval(start, end, params.get("month"))
        return quarters.quarter_from_interval(start, end, params.get("quarter")), None
    except ValueError:
        return None, None


def _smtp_target():
    """(connection, recipients, sender) when kp_smtp is defined, else None."""
    from airflow.sdk import Connection

    from keyprojects.operations.history import ops_settings

    try:
        conn = Connection.get(SMTP_CONN_ID)
    except Exception:  # noqa: BLE001 - not defined (AirflowNotFoundException) or not reachable
        return None
    extra = conn.extra_dejson or {}
    ops = ops_settings()
    to = list(ops.alert_to) or [a.strip() for a in str(extra.get("to", "")).split(",") if a.strip()]
    sender = ops.alert_from or extra.get("from_email") or "keyprojects@localhost"
    return conn, to, sender


def smtp_settings() -> dict | None:
    """The ``kp_smtp`` connection as plain settings for ``keyprojects.runtime_office.deliver_*`` (host,
    port, login, password, ssl, starttls, timeout, from_email), or None when it is not defined (the
    documents then go to the period's outbox folder). SSL and STARTTLS follow the SMTP provider's
    extras: ``disable_ssl`` (SSL is on unless set), ``disable_tls``."""
    target = _smtp_target()
    if target is None:
        return None
    conn, _to, sender = target
    extra = conn.extra_dejson or {}

    def flag(name: str) -> bool:
        return str(extra.get(name, False)).strip().lower() in ("1", "true", "yes", "on")

    ssl = not flag("disable_ssl")
    return {"host": conn.host, "port": conn.port, "login": conn.login or None, "password": conn.password or None,
            "ssl": ssl, "starttls": not ssl and not flag("disable_tls"), "timeout": extra.get("timeout") or 30,
            "from_email": sender}


def send_alerts(items, context) -> int:
    """Log, email (when kp_smtp is defined) and record each alert; returns how many were sent.

    ``items``: ``keyprojects.operations.alerts.Alert`` objects or their dicts."""
    from dataclasses import asdict, is_dataclass
    from html import escape

    from keyprojects import db, settings
    from keyprojects.operations import alerts, history
    from keyprojects.warehouse import schema

    items = [asdict(a) if is_dataclass(a) else dict(a) for a in items]
    if not items:
        return 0
    target = _smtp_target()
    ti = context.get("ti")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", None)
    run_id = context.get("run_id") or getattr(context.get("dag_run"), "run_id", None)
    s = settings.load()
    eng = db.make_engine(s.warehouse_url)
    try:
        schema.ensure_schema(eng, s.sql)
        for a in items:
            alert = alerts.Alert(**a)
            log.warning("ALERT %s\n%s", alert.subject, alert.message)
            emailed = False
            if target is not None:
                _conn, to, sender = target
                if not to:
                    log.warning("connection %s is defined but there is no recipient: set KP_ALERT_TO",
                                SMTP_CONN_ID)
                else:
                    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

                    try:
                        SmtpNotifier(
                            to=to, from_email=sender, smtp_conn_id=SMTP_CONN_ID, subject=alert.subject,
                            html_content=f"<pre>{escape(alert.message)}</pre>", mime_charset="utf-8",
                        ).notify(context)
                        emailed = True
                    except Exception:  # noqa: BLE001 - still recorded and logged below
                        log.exception("could not email the alert through connection %s", SMTP_CONN_ID)
            with eng.begin() as conn:
                alerts.record(conn, alert, dag_id=dag_id, run_id=run_id,
                              created_at=history.utc_now_iso(), emailed=emailed)
    finally:
        eng.dispose()
    return len(items)


class KeyprojectsFailureNotifier(BaseNotifier):
    """on_failure_callback: a ``failed`` / ``check_failed`` alert for the task that failed."""

    template_fields = ()

    def notify(self, context) -> None:
        from keyprojects import db, settings
        from keyprojects.operations import alerts, history

        ti = context.get("ti")
        task_id = getattr(ti, "task_id", None) or "?"
        error = context.get("exception")
        error = f"{error.__class__.__name__}: {error}" if isinstance(error, BaseException) else str(error or
                                                                                                     "unknown")
        quarter, month = _period(context)
        s = settings.load()
        alert = alerts.failure_alert(task_id=task_id, error=error, quarter=quarter, month=month,
                                     report=alerts.report_path(s.output, quarter or month))
        try:
            send_alerts([alert], context)
        except Exception:  # noqa: BLE001 - an alert that cannot be sent must not hide the failure
            log.exception("could not send the alert for %s", task_id)
            return
        run_id = context.get("run_id") or getattr(context.get("dag_run"), "run_id", None)
        if quarter and run_id:
            eng = db.make_engine(s.warehouse_url)
            try:
                with eng.begin() as conn:
                    history.finish_run(conn, quarter, run_id, "failed", history.utc_now_iso(),
                                          message=error[:2000],
                                          dag_id=getattr(ti, "dag_id", None))
            finally:
                eng.dispose()


def failure_notifier() -> KeyprojectsFailureNotifier:
    """The notifier to put in a DAG's ``default_args["on_failure_callback"]``."""
    return KeyprojectsFailureNotifier()
