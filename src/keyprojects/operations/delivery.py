"""Delivery: the office's documents sent to their readers, each version once (issue 18 §1).

The caller (``keyprojects.runtime_office``) says what goes to whom: a list of ``Outgoing`` (an addressee,
the message kind, the attached files, the template fields). This module knows the contacts
(``config/contacts.toml``), the subjects and bodies (``config/delivery.toml``), the ``deliveries``
ledger and the transports; it knows nothing of Airflow or of how the documents are made.

- **Each version once.** A row of ``deliveries`` per document (its path under KP_OUTPUT), version
  (sha256 of the file) and recipient address. An address gets a message only with the documents
  whose current version it has not had; none -> no message. A document whose earlier version it
  had is a correction: the subject starts with ``correction_prefix`` (【更正】).
- **Transports.** ``SmtpTransport`` (the ``kp_smtp`` connection's host, port, login; status
  ``sent``) or ``OutboxTransport`` (one ``.eml`` file per message under
  ``<KP_OUTPUT>/<period>/outbox/``; status ``written``). A version only written to the outbox is
  sent again once SMTP is configured; one sent is never written again.
- **No contact.** An addressee without an address gets a ``no_contact`` row per document version
  (recipient = the addressee's name); once it has a contact, the next run sends and those rows go.
- **Failures.** A message is tried ``attempts`` times; then each of its documents gets a ``failed``
  row with the error, and the failure is returned for an alert. The next run tries it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import smtplib
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from keyprojects import config, db, settings

log = logging.getLogger(__name__)

OUTBOX = "outbox"
KINDS = ("office_quarter", "returns", "problems", "office_month")
DONE = {"sent": ("sent",), "written": ("sent", "written")}   # transport status -> rows that count as had
CONTACT_SECTIONS = ("units", "bureaus", "departments")
_MIME = {".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
         ".docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")}


# ------------------------------------------------------------------------------ configuration

def _load_toml(name: str, *, fallback: bool) -> dict:
    import tomllib

    path = config.config_dir() / name
    if not path.exists():
        if not fallback:
            return {}
        path = settings.DEFAULT_CONFIG_DIR / name
    with path.open("rb") as fh:
        return tomllib.load(fh)


@config.per_config_dir
def delivery_config() -> dict:
    """``delivery.toml`` of the configuration folder, else the package's (Chinese defaults)."""
    return _load_toml("delivery.toml", fallback=True)


@dataclass(frozen=True)
class Contacts:
    office_name: str
    office: tuple[str, ...]
    addresses: dict[str, tuple[str, ...]]   # unit, bureau or department -> addresses

    def of(self, addressee: str) -> tuple[str, ...]:
        return self.office if addressee == self.office_name else self.addresses.get(addressee, ())


def _addresses(value, where: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else list(value or [])
    out = []
    for a in items:
        a = str(a).strip()
        if not a or "@" not in a or any(c.isspace() for c in a):
            raise ValueError(f"contacts.toml: {where}: {a!r} is not an email address")
        out.append(a)
    return tuple(dict.fromkeys(out))


@config.per_config_dir
def contacts() -> Contacts:
    """``contacts.toml`` of the configuration folder (no file: nobody has a contact)."""
    raw = _load_toml("contacts.toml", fallback=False)
    office = raw.get("office", {})
    name = office.get("name") or "市工业项目建设领导组办公室"
    found: dict[str, tuple[str, ...]] = {}
    for section in CONTACT_SECTIONS:
        for who, value in (raw.get(section) or {}).items():
            found[who] = tuple(dict.fromkeys(found.get(who, ()) + _addresses(value, f"[{section}] {who}")))
    return Contacts(office_name=name, office=_addresses(office.get("addresses", []), "[office] addresses"),
                    addresses=found)


# ---------------------------------------------------------------------------------- transports

class SmtpTransport:
    """Sends through an SMTP server (the ``kp_smtp`` connection's settings)."""

    status = "sent"

    def __init__(self, host: str, port: int | None = None, *, login: str | None = None,
                 password: str | None = None, ssl: bool = False, starttls: bool = False, timeout: float = 30):
        self.host, self.port = host, int(port or (465 if ssl else 25))
        self.login, self.password, self.ssl, self.starttls, self.timeout = login, password, ssl, starttls, timeout

    def send(self, msg: EmailMessage, name: str) -> str:
        cls = smtplib.SMTP_SSL if self.ssl else smtplib.SMTP
        with cls(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls and not self.ssl:
                smtp.starttls()
            if self.login:
                smtp.login(self.login, self.password or "")
            smtp.send_message(msg)
        return f"smtp://{self.host}:{self.port}"


class OutboxTransport:
    """Writes each message as ``<folder>/<name>.eml`` for the office to look at (nothing is sent)."""

    status = "written"

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def send(self, msg: EmailMessage, name: str) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{name}.eml"
        fd, tmp = tempfile.mkstemp(prefix=".kp-", suffix=".eml", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(msg.as_bytes())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return str(path)


def smtp_transport(smtp: dict | None) -> SmtpTransport | None:
    """An SmtpTransport from the plain settings the DAG read from ``kp_smtp`` (None: no connection)."""
    if not smtp or not smtp.get("host"):
        return None
    return SmtpTransport(smtp["host"], smtp.get("port"), login=smtp.get("login"), password=smtp.get("password"),
                         ssl=bool(smtp.get("ssl")), starttls=bool(smtp.get("starttls")),
                         timeout=float(smtp.get("timeout") or 30))


# ------------------------------------------------------------------------------------ messages

@dataclass
class Outgoing:
    """One message's worth for one addressee: ``kind`` picks the subject and body templates."""
    addressee: str
    kind: str
    documents: list[Path]
    fields: dict = field(default_factory=dict)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def compose(item: Outgoing, docs: Sequence[Path], *, period: str, sender: str, to: str, correction: bool,
            date: dt.datetime, office: str) -> EmailMessage:
    """The message: subject and body from ``delivery.toml``, the documents attached."""
    cfg = delivery_config()
    spec = cfg["messages"][item.kind]
    words = {"period": period, "addressee": item.addressee, "office": office,
             "documents": "\n".join(f"  {p.name}" for p in docs), **item.fields}
    words.setdefault("period_label", period)
    subject = spec["subject"].format(**words)
    if correction:
        subject = f"{cfg.get('correction_prefix', '【更正】')}{subject}"
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = formataddr((item.addressee, to))
    msg["Date"] = format_datetime(date)
    digest = hashlib.sha256("\n".join([to, *(p.name for p in docs)]).encode()).hexdigest()[:16]
    msg["Message-ID"] = f"<{period}.{item.kind}.{digest}@keyprojects>"
    msg.set_content(spec["body"].format(**words), charset="utf-8")
    for p in docs:
        maintype, subtype = _MIME.get(p.suffix.lower(), ("application", "octet-stream"))
        msg.add_attachment(Path(p).read_bytes(), maintype=maintype, subtype=subtype, filename=p.name)
    return msg


def _safe(text: str) -> str:
    return "".join("_" if ch in '\\/:*?"<>| ' else ch for ch in text).strip() or "_"


# -------------------------------------------------------------------------------------- ledger

def _rows(conn, period: str) -> list[dict]:
    return db.fetch(conn, "select document, recipient, sha256, status from deliveries where period = :p", p=period)


def _put(conn: Connection, row: dict) -> None:
    conn.execute(sa.text("delete from deliveries where period = :period and document = :document "
                         "and recipient = :recipient and sha256 = :sha256"), row)
    cols = list(row)
    conn.execute(sa.text(f"insert into deliveries ({', '.join(cols)}) values ({', '.join(':' + c for c in cols)})"),
                 row)


@dataclass
class Result:
    period: str
    sent: int = 0          # messages sent or written
    documents: int = 0     # (document, recipient) versions delivered by them
    no_contact: list[str] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"period": self.period, "messages_sent": self.sent, "documents_delivered": self.documents,
                "no_contact": self.no_contact, "failed": self.failed, "messages": self.messages}


def deliver(engine: Engine, period: str, items: Sequence[Outgoing], output: Path, *, transport=None,
            sender: str | None = None, now: dt.datetime, run_id: str | None = None,
            attempts: int | None = None, retry_seconds: float | None = None,
            sleep: Callable[[float], None] = time.sleep) -> Result:
    """Send (or write to the outbox) what each addressee has not had yet; record every delivery.

    ``transport``: an ``SmtpTransport``, else the period's outbox. ``now``: the caller's clock, for
    ``sent_at`` and the Date header (metadata)."""
    cfg = delivery_config()
    output = Path(output)
    transport = transport or OutboxTransport(output / period / OUTBOX)
    sender = sender or cfg.get("sender") or "keyprojects@localhost"
    attempts = max(1, int(attempts if attempts is not None else cfg.get("send", {}).get("attempts", 3)))
    wait = float(retry_seconds if retry_seconds is not None else cfg.get("send", {}).get("retry_seconds", 10))
    who = contacts()
    done = DONE[transport.status]
    stamp = now.astimezone(dt.UTC).isoformat(timespec="seconds")
    out = Result(period)
    for item in items:
        docs = [Path(p) for p in item.documents if Path(p).exists()]
        if not docs:
            continue
        versions = {p: sha256_of(p) for p in docs}
        names = {p: p.resolve().relative_to(output.resolve()).as_posix() if p.resolve().is_relative_to(
            output.resolve()) else p.name for p in docs}
        base = {"period": period, "addressee": item.addressee, "kind": item.kind, "run_id": run_id}
        addresses = who.of(item.addressee)
        with engine.begin() as conn:
            had = _rows(conn, period)
            if not addresses:
                out.no_contact.append(item.addressee)
                for p in docs:
                    if not any(r["document"] == names[p] and r["recipient"] == item.addressee
                               and r["sha256"] == versions[p] and r["status"] == "no_contact" for r in had):
                        _put(conn, {**base, "document": names[p], "recipient": item.addressee,
                                    "sha256": versions[p], "status": "no_contact", "sent_at": stamp,
                                    "error": "无联系人：contacts.toml 中没有该单位的邮箱", "subject": None,
                                    "correction": 0, "message_file": None})
                log.warning("%s: %s has no contact in contacts.toml: not sent (no_contact)", period, item.addressee)
                continue
            # it has a contact now: its earlier no_contact rows are superseded by what follows
            conn.execute(sa.text("delete from deliveries where period = :p and recipient = :a "
                                 "and status = 'no_contact'"), {"p": period, "a": item.addressee})
        for to in addresses:
            pending = [p for p in docs if not any(
                r["document"] == names[p] and r["recipient"] == to and r["sha256"] == versions[p]
                and r["status"] in done for r in had)]
            if not pending:
                continue
            correction = any(r["document"] == names[p] and r["recipient"] == to and r["sha256"] != versions[p]
                             and r["status"] in ("sent", "written") for p in pending for r in had)
            msg = compose(item, pending, period=period, sender=sender, to=to, correction=correction, date=now,
                          office=who.office_name)
            tag = hashlib.sha256("".join(versions[p] for p in pending).encode()).hexdigest()[:8]
            name = f"{_safe(item.addressee)}__{_safe(to)}__{item.kind}__{tag}"
            error, where = None, None
            for attempt in range(1, attempts + 1):
                try:
                    where = transport.send(msg, name)
                    error = None
                    break
                except Exception as exc:  # noqa: BLE001 - recorded, retried, then alerted
                    error = f"{exc.__class__.__name__}: {exc}"
                    log.warning("%s: sending %s to %s failed (try %d of %d): %s", period, item.kind, to,
                                attempt, attempts, error)
                    if attempt < attempts:
                        sleep(wait)
            status = "failed" if error else transport.status
            with engine.begin() as conn:
                for p in pending:
                    _put(conn, {**base, "document": names[p], "recipient": to, "sha256": versions[p],
                                "status": status, "sent_at": None if error else stamp, "error": error,
                                "subject": str(msg["Subject"]), "correction": int(correction),
                                "message_file": where if transport.status == "written" else None})
            if error:
                out.failed.append({"addressee": item.addressee, "recipient": to, "kind": item.kind,
                                   "documents": [names[p] for p in pending], "error": error})
            else:
                out.sent += 1
                out.documents += len(pending)
                out.messages.append(f"{status}: {msg['Subject']} -> {to}")
    return out


def deliveries(conn_or_engine, period: str) -> list[dict]:
    """The period's deliveries, for status and the office page."""
    return db.fetch(conn_or_engine, """
        select period, document, recipient, sha256, status, sent_at, error, addressee, kind, subject, correction
        from deliveries where period = :p order by addressee, recipient, document, sent_at""", p=period)
