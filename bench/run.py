"""One quarter through ``bin/airflow dags test``, measured against the floor (bench/README.md).

    python bench/run.py                    # make bench: floor, empty quarter, trivial DAG, 2k/20k/100k
    python bench/run.py --rows 1000000     # the same plus a 1M-row quarter (minutes; not in make bench)
    python bench/run.py --sizes 20000 --repeat 1 --profile 20000   # quick look + profiles

Everything is measured in ONE run, so the ratios compare like with like on a shared machine:

* **floor** -- the same inbox read by python-calamine (.xlsx), xlrd (.xls) and the csv module, every
  row inserted raw into SQLite with one ``executemany``;
* **whole run** -- wall time of ``bin/airflow dags test keyprojects_quarterly`` (its own Airflow home,
  an SQLite warehouse with the schema already made), with the peak RSS of its process tree (psutil,
  polled every 20 ms) and per task seconds and peak RSS (task windows from the metadata database);
* **empty quarter** -- the same run over an inbox that holds no list at all;
* **trivial DAG** -- ``dags test`` of a one-task DAG the bench writes to a temporary dags folder;
* **ratios** -- processing (run minus empty run) / floor per size; empty / trivial (fixed cost);
  peak RSS per size; linearity of processing per row against the 100k-row run.

Results: ``bench/results/latest.json`` and ``bench/results/latest.png`` (git-ignored). Inboxes are
generated with kpgen (seed 11) and cached under ``bench/results/inbox/`` (``--fresh`` regenerates).
``--profile N`` also runs the quarter's steps in-process under pyinstrument and writes
``bench/results/profile-<N>.txt`` / ``.html`` with seconds and RSS after each step.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import io
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
QUARTER = "2022Q4"
DAG_ID = "keyprojects_quarterly"
TRIVIAL_ID = "kp_bench_trivial"
TRIVIAL_DAG = '''"""A one-task DAG: the fixed cost of `dags test` itself (written by bench/run.py)."""
import datetime as dt

from airflow.sdk import dag, task


@dag(dag_id="kp_bench_trivial", schedule=None, catchup=False, tags=["bench"],
     start_date=dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc))
def kp_bench_trivial():
    @task
    def return_one() -> int:
        return 1

    return_one()


kp_bench_trivial()
'''
DATA_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
# issue 15's targets (processing at 100k and peak RSS); issue 8's fixed cost and linearity
TARGETS = {"processing_over_floor": 6.0, "empty_over_trivial": 1.3, "peak_rss_mb": 450.0, "linearity": 0.10}


# ------------------------------------------------------------------ inboxes

def inbox_for(rows: int, seed: int, fresh: bool) -> Path:
    """A generated inbox holding QUARTER only (cached; regenerated when the generator changes)."""
    if rows == 0:
        return empty_inbox(RESULTS / "inbox" / "empty")
    folder = RESULTS / "inbox" / f"s{seed}-r{rows}"  # the generator is deterministic: --fresh after changing it
    if fresh and folder.exists():
        shutil.rmtree(folder)
    if not (folder / QUARTER).is_dir():
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"generating {rows} rows (seed {seed}) ...", flush=True)
        subprocess.run([sys.executable, "-m", "kpgen", "--inbox", str(tmp), "--from", QUARTER, "--to", QUARTER,
                        "--seed", str(seed), "--rows", str(rows)], check=True)
        shutil.rmtree(tmp / "_truth", ignore_errors=True)  # the bench needs the files only
        tmp.rename(folder)
    return folder


def empty_inbox(root: Path) -> Path:
    """An empty quarter: every list has arrived (a reserve and a dispatch library from every unit),
    each file a header row and no data rows -- so the run does all its steps over zero rows."""
    from keyprojects import LISTS, config

    words = {}
    for f in config.header_fields():  # the label of each field: its headers.toml word, else the name
        raw = config.load_toml("headers.toml").get("fields", {}).get(f.name, {}).get("words") or [f.name]
        words[f.name] = raw[0]
    header = ",".join(words.values()) + "\n"
    shutil.rmtree(root, ignore_errors=True)
    for name in LISTS:
        folder = root / QUARTER / name
        folder.mkdir(parents=True)
        stems = [u.name for u in config.units()] if name in ("reserve", "dispatch") else [name]
        for stem in stems:  # a title line naming the sender: files of equal bytes would be one file
            (folder / f"{stem}.csv").write_text(f"填报单位：{stem}\n" + header, encoding="utf-8")
    return root


def data_files(inbox: Path) -> list[Path]:
    return sorted(p for p in (inbox / QUARTER).rglob("*") if p.is_file() and p.suffix.lower() in DATA_SUFFIXES)


# ------------------------------------------------------------------ the floor

def _csv_rows(data: bytes) -> list[list[str]]:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    return list(csv.reader(io.StringIO(text, newline="")))


def floor(inbox: Path, db: Path) -> dict:
    """Read every data file of the quarter with the plainest reader and insert the raw rows into
    SQLite with one executemany: the least any pipeline over these files can cost."""
    import python_calamine as pc
    import xlrd

    t0 = time.perf_counter()
    rows: list[tuple] = []
    for path in data_files(inbox):
        rel = path.relative_to(inbox / QUARTER).as_posix()
        ext = path.suffix.lower()
        if ext == ".csv":
            sheets = [(path.stem, _csv_rows(path.read_bytes()))]
        elif ext == ".xls":
            book = xlrd.open_workbook(str(path), on_demand=True)
            sheets = [(s.name, [s.row_values(i) for i in range(s.nrows)]) for s in book.sheets()]
            book.release_resources()
        else:
            wb = pc.CalamineWorkbook.from_path(str(path))
            sheets = [(n, wb.get_sheet_by_name(n).to_python()) for n in wb.sheet_names]
        for sheet, grid in sheets:
            for i, r in enumerate(grid, 1):
                rows.append((rel, sheet, i, json.dumps(r, ensure_ascii=False, default=str)))
    t_read = time.perf_counter() - t0
    db.unlink(missing_ok=True)
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE raw (file TEXT, sheet TEXT, row_number INTEGER, cells TEXT)")
    with con:
        con.executemany("INSERT INTO raw VALUES (?, ?, ?, ?)", rows)
    con.close()
    total = time.perf_counter() - t0
    return {"s": round(total, 3), "read_s": round(t_read, 3), "insert_s": round(total - t_read, 3),
            "rows": len(rows), "files": len(data_files(inbox))}


# ------------------------------------------------------------------ dags test, measured

class RssPoller(threading.Thread):
    """Samples the summed RSS of a process and all its descendants every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = 0.02):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, float]] = []   # (unix time, MB)
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.stop.is_set():
            total = 0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                procs = []
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            if total:
                self.samples.append((time.time(), total / 2**20))
            self.stop.wait(self.interval)

    @property
    def peak(self) -> float:
        return max((mb for _, mb in self.samples), default=0.0)

    def peak_between(self, start: float, end: float) -> float | None:
        vals = [mb for t, mb in self.samples if start <= t <= end]
        return round(max(vals), 1) if vals else None

    def at(self, when: float) -> float | None:
        """The last sample taken at or before ``when`` (the RSS a task started from)."""
        vals = [mb for t, mb in self.samples if t <= when]
        return round(vals[-1], 1) if vals else None


def _ts(v) -> float | None:
    if v is None:
        return None
    d = dt.datetime.fromisoformat(str(v))
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.timezone.utc)
    return d.timestamp()


def trivial_root(work: Path) -> Path:
    """A folder shaped like a checkout whose dags/ holds only the trivial DAG, with a copy of this
    checkout's ``bin/airflow`` (the same script: only its dags and plugins folders differ)."""
    root = work / "trivial-root"
    (root / "bin").mkdir(parents=True)
    (root / "dags").mkdir()
    (root / "plugins").mkdir()
    for name in ("airflow", "airflow-env.sh"):  # bin/airflow sources bin/airflow-env.sh
        shutil.copy2(ROOT / "bin" / name, root / "bin" / name)
    (root / "dags" / "kp_bench_trivial.py").write_text(TRIVIAL_DAG, encoding="utf-8")
    return root


def dags_test(label: str, env: dict, args: list[str], work: Path, dag_id: str, root: Path = ROOT) -> dict:
    """Run ``<root>/bin/airflow dags test`` once: wall seconds, peak RSS, per-task seconds and RSS."""
    log = work / f"{label}.log"
    t0 = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(root / "bin" / "airflow"), "dags", "test", dag_id, *args], env=env,
                                stdout=out, stderr=subprocess.STDOUT, cwd=work)
        poller = RssPoller(proc.pid)
        poller.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        poller.stop.set()
        poller.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-30:]
        raise RuntimeError(f"{label}: dags test exited {proc.returncode}; log {log}:\n" + "\n".join(tail))
    meta = sqlite3.connect(Path(env["KP_AIRFLOW_HOME"]) / "airflow.db")
    run_id, run_state = meta.execute("SELECT run_id, state FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1",
                                     (dag_id,)).fetchone()
    tasks = {}
    for task_id, map_index, start, end, state in meta.execute(
            "SELECT task_id, map_index, start_date, end_date, state FROM task_instance "
            "WHERE dag_id = ? AND run_id = ? ORDER BY start_date", (dag_id, run_id)):
        s, e = _ts(start), _ts(end)
        key = task_id if map_index < 0 else f"{task_id}[{map_index}]"
        tasks[key] = {"s": round(e - s, 3) if s and e else None, "state": state,
                      "peak_rss_mb": poller.peak_between(s, e) if s and e else None,
                      "start_rss_mb": poller.at(s) if s else None}
    meta.close()
    if run_state != "success":
        raise RuntimeError(f"{label}: dag run {run_id} ended {run_state}; log {log}")
    in_tasks = sum(t["s"] or 0 for t in tasks.values())
    return {"s": round(wall, 3), "peak_rss_mb": round(poller.peak, 1),
            "max_process_rss_mb": round(usage.ru_maxrss / 1024, 1), "tasks": tasks,
            "outside_tasks_s": round(wall - in_tasks, 3), "log": str(log)}


def warehouse_template(work: Path) -> Path:
    """An empty warehouse with the current schema: each measured run starts from a copy, as a real
    quarter's run finds its warehouse already created (creating it is not a quarter's cost)."""
    path = work / "warehouse-template.db"
    if not path.exists():
        from keyprojects import db
        from keyprojects.warehouse import schema

        eng = db.make_engine(f"sqlite:///{path}")
        schema.ensure_schema(eng, ROOT / "include" / "sql")
        eng.dispose()
    return path


def airflow_env(work: Path, inbox: Path, tag: str) -> dict:
    shutil.copy(warehouse_template(work), work / f"warehouse-{tag}.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_", "AIRFLOW__", "KP_"))}
    env.update(KP_AIRFLOW_HOME=str(work / "airflow"), KP_VENV=str(ROOT / ".venv"), KP_INBOX=str(inbox),
               KP_OUTPUT=str(work / f"output-{tag}"),
               KP_WAREHOUSE_URL=f"sqlite:///{work / f'warehouse-{tag}.db'}", PYTHONDONTWRITEBYTECODE="")
    return env


def warehouse_counts(env: dict) -> dict:
    con = sqlite3.connect(env["KP_WAREHOUSE_URL"].split("///", 1)[1])
    out = {"raw_rows": con.execute("SELECT COUNT(*) FROM raw_rows WHERE quarter = ?", (QUARTER,)).fetchone()[0]}
    out["staged"] = sum(con.execute(f"SELECT COUNT(*) FROM stg_{n} WHERE quarter = ?", (QUARTER,)).fetchone()[0]
                        for n in ("reserve", "dispatch", "signed", "approved", "energy", "registered"))
    con.close()
    return out


# ------------------------------------------------------------------ profile (in-process)

def profile(inbox: Path, work: Path, rows: int) -> dict:
    """The quarter's steps in-process (as ``dags test`` runs them) under pyinstrument: seconds and the
    process RSS after each step (psutil; the high-water mark is the run's per-task RSS)."""
    import psutil
    from pyinstrument import Profiler

    from keyprojects import LISTS, db, quarters
    from keyprojects.documents import bulletin, notice, ranking_workbook, returns, validation_report
    from keyprojects.ingest import loader, validation
    from keyprojects.warehouse import models, ranking, schema

    me = psutil.Process()
    db_path = work / f"profile-{rows}.db"
    db_path.unlink(missing_ok=True)
    steps: dict[str, dict] = {}

    def step(name, fn, *a, **kw):
        t = time.perf_counter()
        out = fn(*a, **kw)
        steps[name] = {"s": round(time.perf_counter() - t, 3), "rss_after_mb": round(me.memory_info().rss / 2**20, 1)}
        return out

    prof = Profiler(interval=0.002)
    prof.start()
    step("import pandas + great_expectations", validation.import_gx)
    eng = step("make_engine + ensure_schema", lambda: (
        e := db.make_engine(f"sqlite:///{db_path}"), schema.ensure_schema(e, ROOT / "include" / "sql"))[0])
    for name in LISTS:
        step(f"load_list {name}", loader.load_list, eng, inbox, QUARTER, name,
             expectations_dir=ROOT / "expectations",
             report=functools.partial(validation_report.write_validation_report,
                                      work / f"profile-out-{rows}" / "validation"))

    def marts():
        with eng.begin() as conn:
            return models.build_marts(conn, QUARTER, ROOT / "include" / "sql")

    step("build_marts", marts)
    out = work / f"profile-out-{rows}"
    step("write_bulletin", bulletin.write_bulletin, eng, QUARTER, out)

    def rank():
        with eng.begin() as conn:
            return ranking.rank_year(conn, QUARTER, ROOT / "include" / "sql")

    step("rank_year", rank)
    step("write_ranking", ranking_workbook.write_ranking, eng, quarters.parse_quarter(QUARTER)[0], out)
    step("write_notice", notice.write_notice, eng, QUARTER, out)
    step("write_returns", returns.write_returns, eng, QUARTER, out)
    prof.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"profile-{rows}.txt").write_text(prof.output_text(unicode=True, color=False, show_all=False),
                                                 encoding="utf-8")
    (RESULTS / f"profile-{rows}.html").write_text(prof.output_html(), encoding="utf-8")
    return steps


# ------------------------------------------------------------------ report

def chart(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = result["sizes"]
    labels = [f"{s['rows_requested'] // 1000}k" for s in sizes]
    fig, ax = plt.subplots(2, 2, figsize=(13, 9))
    a = ax[0][0]
    x = range(len(sizes))
    a.bar([i - 0.2 for i in x], [s["processing_s"] for s in sizes], 0.4, label="processing (run − empty run)")
    a.bar([i + 0.2 for i in x], [s["floor"]["s"] for s in sizes], 0.4, label="floor")
    a.plot(list(x), [3 * s["floor"]["s"] for s in sizes], "r--", marker="o", label="target: 3 × floor")
    for i, s in enumerate(sizes):
        a.annotate(f"{s['processing_over_floor']}×", (i - 0.2, s["processing_s"]), ha="center", va="bottom")
    a.set_xticks(list(x), labels)
    a.set_ylabel("seconds")
    a.set_title("processing against the floor")
    a.legend()

    a = ax[0][1]
    fixed = result["fixed_cost"]
    a.bar(["trivial DAG", "empty quarter"], [fixed["trivial_s"], fixed["empty_s"]], color=["grey", "tab:blue"])
    a.axhline(fixed["trivial_s"] * TARGETS["empty_over_trivial"], color="r", ls="--", label="target: 1.3 × trivial")
    a.set_ylabel("seconds (median of repeats)")
    a.set_title(f"fixed cost: empty / trivial = {fixed['empty_over_trivial']}×")
    a.legend()

    a = ax[1][0]
    runs = [("empty", result["empty"])] + [(lab, s["run"]) for lab, s in zip(labels, sizes, strict=True)]
    stages = list(dict.fromkeys(k.split("[")[0] for _, run in runs for k in run["tasks"])) + ["outside tasks"]
    bottom = [0.0] * len(runs)
    for stage in stages:
        vals = []
        for _, run in runs:
            if stage == "outside tasks":
                vals.append(run["outside_tasks_s"])
            else:
                vals.append(sum(t["s"] or 0 for k, t in run["tasks"].items() if k.split("[")[0] == stage))
        a.bar([n for n, _ in runs], vals, bottom=bottom, label=stage)
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    a.set_ylabel("seconds (load_list: the six mapped tasks summed)")
    a.set_title("whole run by task")
    a.legend(fontsize=8)

    a = ax[1][1]
    rss = [result["empty"]["peak_rss_mb"]] + [s["run"]["peak_rss_mb"] for s in sizes]
    a.plot(["empty", *labels], rss, marker="o", label="peak RSS, process tree")
    a.axhline(TARGETS["peak_rss_mb"], color="r", ls="--", label="target: 400 MB")
    a.set_ylim(0, max(rss + [TARGETS["peak_rss_mb"]]) * 1.15)
    a.set_ylabel("MB")
    a.set_title("peak RSS of bin/airflow dags test")
    a.legend()
    fig.suptitle(f"keyprojects bench {result['when']} — load {result['load_before']} → {result['load_after']}")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def markdown(before: dict, after: dict) -> str:
    """Before/after tables (bench/README.md) from two results files of this script."""
    def task_s(run: dict, name: str) -> float:
        return round(sum(t["s"] or 0 for k, t in run["tasks"].items() if k.split("[")[0] == name), 1)

    lines = [f"Before: {before['when']} (load {before['load_before']} → {before['load_after']}); "
             f"after: {after['when']} (load {after['load_before']} → {after['load_after']}).", "",
             "| fixed cost | before | after |", "|---|---|---|",
             f"| trivial DAG, median s | {before['fixed_cost']['trivial_s']:.2f} | "
             f"{after['fixed_cost']['trivial_s']:.2f} |",
             f"| empty quarter, median s | {before['fixed_cost']['empty_s']:.2f} | "
             f"{after['fixed_cost']['empty_s']:.2f} |",
             f"| empty / trivial (target ≤ {TARGETS['empty_over_trivial']}) | "
             f"{before['fixed_cost']['empty_over_trivial']} | "
             f"{after['fixed_cost']['empty_over_trivial']} |",
             f"| peak RSS, empty quarter MB | {before['empty']['peak_rss_mb']:.0f} | "
             f"{after['empty']['peak_rss_mb']:.0f} |",
             ""]
    b_sizes = {s["rows_requested"]: s for s in before["sizes"]}
    for s in after["sizes"]:
        b = b_sizes.get(s["rows_requested"])
        if b is None:
            continue
        tasks = list(dict.fromkeys(k.split("[")[0] for k in s["run"]["tasks"]))
        lines += [f"**{s['rows_requested']:,} rows** ({s['rows_read']:,} rows read, {s['files']} files)", "",
                  "| measure | before | after |", "|---|---|---|",
                  f"| whole run s | {b['run']['s']:.1f} | {s['run']['s']:.1f} |",
                  f"| floor s | {b['floor']['s']:.2f} | {s['floor']['s']:.2f} |",
                  f"| processing s (run − empty run) | {b['processing_s']:.1f} | {s['processing_s']:.1f} |",
                  f"| processing / floor (target ≤ {TARGETS['processing_over_floor']:g}) | "
                  f"{b['processing_over_floor']} | {s['processing_over_floor']} |",
                  f"| peak RSS MB (target ≤ {TARGETS['peak_rss_mb']:g}) | {b['run']['peak_rss_mb']:.0f} | "
                  f"{s['run']['peak_rss_mb']:.0f} |"]
        lines += [f"| {t} s{' (6 mapped, summed)' if t == 'load_list' else ''} | {task_s(b['run'], t)} | "
                  f"{task_s(s['run'], t)} |" for t in tasks]
        lines += [f"| outside tasks s | {b['run']['outside_tasks_s']:.1f} | {s['run']['outside_tasks_s']:.1f} |", ""]
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="2000,20000,100000", help="comma-separated rows per quarter")
    p.add_argument("--rows", type=int, action="append", default=[], help="an extra size, e.g. 1000000")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--repeat", type=int, default=3, help="runs of the empty quarter and trivial DAG (median)")
    p.add_argument("--profile", type=int, action="append", default=[], help="also profile this size in-process")
    p.add_argument("--fresh", action="store_true", help="regenerate cached inboxes")
    p.add_argument("--out", default=str(RESULTS / "latest"), help="path stem of the JSON and PNG")
    p.add_argument("--profile-only", action="store_true", help="only the --profile runs (no dags test)")
    p.add_argument("--markdown", nargs=2, metavar=("BEFORE", "AFTER"),
                   help="print before/after tables of two results files")
    args = p.parse_args()
    if args.markdown:
        print(markdown(*(json.loads(Path(f).read_text(encoding="utf-8")) for f in args.markdown)))
        return 0
    sizes = sorted({int(s) for s in args.sizes.split(",") if s} | set(args.rows))

    if args.profile_only:
        work = Path(tempfile.mkdtemp(prefix="kp-bench-"))
        for n in args.profile:
            steps = profile(inbox_for(n, args.seed, args.fresh), work, n)
            print(f"profile {n} (bench/results/profile-{n}.txt):")
            for k, v in steps.items():
                print(f"  {k:36} {v['s']:>8.2f} s  RSS after {v['rss_after_mb']:>7.0f} MB")
        shutil.rmtree(work, ignore_errors=True)
        return 0
    inboxes = {n: inbox_for(n, args.seed, args.fresh) for n in [0, *sizes]}
    work = Path(tempfile.mkdtemp(prefix="kp-bench-"))
    troot = trivial_root(work)
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"work dir {work}; load average {load_before}", flush=True)

    # one warm-up of each DAG (creates the metadata DB and .pyc files), not measured
    warm_env = airflow_env(work, inboxes[0], "warm")
    dags_test("warmup-trivial", warm_env, [], work, TRIVIAL_ID, troot)
    dags_test("warmup-quarter", warm_env, ["--conf", json.dumps({"quarter": QUARTER})], work, DAG_ID)

    def trivial(i):
        return dags_test(f"trivial-{i}", airflow_env(work, inboxes[0], f"trivial-{i}"), [], work, TRIVIAL_ID, troot)

    def quarter_run(n, tag):
        env = airflow_env(work, inboxes[n], tag)
        r = dags_test(tag, env, ["--conf", json.dumps({"quarter": QUARTER})], work, DAG_ID)
        r["warehouse"] = warehouse_counts(env)
        return r

    trivials, empties = [], []
    for i in range(args.repeat):       # interleaved, so drifting load hits both alike
        trivials.append(trivial(i))
        empties.append(quarter_run(0, f"empty-{i}"))
        print(f"trivial {trivials[-1]['s']:.2f}s  empty {empties[-1]['s']:.2f}s", flush=True)
    med = lambda xs: statistics.median(xs)  # noqa: E731
    trivial_s, empty_s = med([r["s"] for r in trivials]), med([r["s"] for r in empties])
    empty = sorted(empties, key=lambda r: r["s"])[len(empties) // 2]

    out_sizes = []
    for n in sizes:
        fl = floor(inboxes[n], work / f"floor-{n}.db")
        run = quarter_run(n, f"rows-{n}")
        processing = run["s"] - empty_s
        rows_read = run["warehouse"]["raw_rows"]
        out_sizes.append({
            "rows_requested": n, "rows_read": rows_read, "files": fl["files"], "floor": fl, "run": run,
            "processing_s": round(processing, 3),
            "processing_over_floor": round(processing / fl["s"], 2),
            "processing_us_per_row": round(processing / max(rows_read, 1) * 1e6, 1),
        })
        print(f"{n:>8} rows: run {run['s']:.1f}s, floor {fl['s']:.2f}s, processing {processing:.1f}s "
              f"= {processing / fl['s']:.1f}x floor, peak RSS {run['peak_rss_mb']:.0f} MB", flush=True)

    by_n = {s["rows_requested"]: s for s in out_sizes}
    linearity = {}
    if 100_000 in by_n:
        base = by_n[100_000]["processing_us_per_row"]
        for n, s in by_n.items():
            if n > 100_000:
                linearity[str(n)] = round(s["processing_us_per_row"] / base - 1, 3)
    rss_pts = [(s["rows_read"], s["run"]["peak_rss_mb"]) for s in out_sizes]
    slope = None
    if len(rss_pts) >= 2:
        (x0, y0), (x1, y1) = rss_pts[0], rss_pts[-1]
        slope = round((y1 - y0) / max(x1 - x0, 1) * 100_000, 1)
    result = {
        "when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_before": load_before, "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "seed": args.seed, "quarter": QUARTER, "targets": TARGETS,
        "trivial": {**sorted(trivials, key=lambda r: r["s"])[len(trivials) // 2],
                    "runs_s": [r["s"] for r in trivials], "median_s": trivial_s},
        "empty": {**empty, "runs_s": [r["s"] for r in empties], "median_s": empty_s},
        "fixed_cost": {"trivial_s": trivial_s, "empty_s": empty_s,
                       "empty_over_trivial": round(empty_s / trivial_s, 2)},
        "sizes": out_sizes,
        "linearity_vs_100k": linearity,
        "rss_mb_per_100k_rows": slope,
    }
    if args.profile:
        result["profile"] = {}
        for n in args.profile:
            result["profile"][str(n)] = profile(inbox_for(n, args.seed, False), work, n)

    stem = Path(args.out)
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    chart(result, stem.with_suffix(".png"))

    print(f"\nfixed cost: trivial DAG {trivial_s:.2f}s, empty quarter {empty_s:.2f}s -> "
          f"{result['fixed_cost']['empty_over_trivial']}x (target <= {TARGETS['empty_over_trivial']}x)")
    print(f"{'rows':>8} {'read':>8} {'run s':>7} {'floor s':>7} {'proc s':>7} {'proc/floor':>10} {'RSS MB':>7}")
    for s in out_sizes:
        print(f"{s['rows_requested']:>8} {s['rows_read']:>8} {s['run']['s']:>7.1f} {s['floor']['s']:>7.2f} "
              f"{s['processing_s']:>7.1f} {s['processing_over_floor']:>10} {s['run']['peak_rss_mb']:>7.0f}")
    print("per task (s) of the largest run: "
          + ", ".join(f"{k} {v['s']}" for k, v in out_sizes[-1]["run"]["tasks"].items()))
    if linearity:
        print(f"linearity (processing per row vs 100k, target within 10%): {linearity}")
    print(f"RSS slope: {slope} MB per 100k rows; results: {stem.with_suffix('.json')}, {stem.with_suffix('.png')}")
    if "profile" in result:
        for n, steps in result["profile"].items():
            print(f"profile {n}: " + ", ".join(f"{k} {v['s']}s/{v['rss_after_mb']}MB"
                                                for k, v in steps.items()))
    shutil.rmtree(work, ignore_errors=True) if not os.environ.get("KP_BENCH_KEEP") else None
    return 0


if __name__ == "__main__":
    sys.exit(main())
