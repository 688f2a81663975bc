"""The words of the draft 通报: its figures read from the warehouse and the sentences made of them.

The ``read_*`` functions take every number from the warehouse (SQL only); the rest words them
(fractions -> percentages, 亿元 as SQL rounded them): 一、总体情况 (``overview_sentences``, and
``overview_text`` for the office's delivery email), 表扬 / 通报批评, 三、存在问题, 四、下一步工作 and
the cells of a table row. ``notice.py`` lays these out in the .docx.
"""

from __future__ import annotations

from decimal import Decimal

from keyprojects import db, quarters
from keyprojects.documents import office

# The figures the city sentences need, from one row (group_kind 'city') of bulletin_group_quarter.
CITY_COLUMNS = ("dispatch_projects", "dispatch_total_investment", "industrial_investment",
                "industrial_investment_prev", "industrial_growth", "started_projects", "start_rate",
                "registered_projects", "registration_rate", "missed_reports", "returned_reports",
                "unconfirmed_reports", "units_not_reported")
# The city targets 一、总体情况 states (amount and growth), in this order.
INVESTMENT_INDICATORS = ("industrial_investment", "newbuild_investment", "renovation_investment")
LIBRARY_TITLES = {"reserve": "储备库", "dispatch": "调度库"}


# --------------------------------------------------------------------------------------------
# Reading (SQL only)


def read_header(conn_or_engine, quarter: str) -> dict:
    """The issuing body (``bulletin_quarter.issuer``, else configuration) and the data's cut-off.
    The 成文日期 is not read: it is the day of signing, left blank for the office."""
    rows = db.fetch(conn_or_engine, "SELECT issuer FROM bulletin_quarter WHERE quarter = :q", q=quarter)
    issuer = (rows[0]["issuer"] if rows else None) or office.issuing_body()
    return {"issuer": issuer, "cutoff": quarters.quarter_end(quarter)}


def read_city(conn_or_engine, quarter: str) -> dict:
    """The city's figures for the quarter: the ``city`` row of ``bulletin_group_quarter`` (their SQL
    home) with its amounts in 亿元; ``target_amount``/``target_progress`` (city_targets);
    ``unregistered`` (rows of unregistered_projects); ``targets`` (the amount and growth targets of
    industrial, new-build and renovation investment); ``not_reported`` (units without a library);
    ``missed_by_library`` (漏报 of 储备库 and 调度库). Raises ``LookupError`` when the quarter's marts
    were not built."""
    # amounts in 亿元 as SQL rounds them for 全市目标 (050_city_targets.sql): Python does not round again
    rows = db.fetch(conn_or_engine, f"""
        SELECT {', '.join(CITY_COLUMNS)},
               round(cast(dispatch_total_investment / 10000 as numeric), 2) AS dispatch_total_investment_yi,
               round(cast(industrial_investment / 10000 as numeric), 2) AS industrial_investment_yi
        FROM bulletin_group_quarter
        WHERE quarter = :q AND group_kind = 'city'""", q=quarter)
    if not rows:
        raise LookupError(f"bulletin_group_quarter has no city row for {quarter}: build its marts first")
    city = dict(rows[0])
    target = db.fetch(conn_or_engine, """
        SELECT target, progress FROM city_targets
        WHERE quarter = :q AND indicator = 'industrial_investment' AND measure = 'amount'""",
                             q=quarter)
    city["target_amount"] = target[0]["target"] if target else None
    city["target_progress"] = target[0]["progress"] if target else None
    city["unregistered"] = db.fetch(conn_or_engine, "SELECT COUNT(*) AS n FROM unregistered_projects "
                                                           "WHERE quarter = :q", q=quarter)[0]["n"]
    city["targets"] = read_targets(conn_or_engine, quarter)
    city["not_reported"] = read_not_reported(conn_or_engine, quarter)
    city["missed_by_library"] = read_missed_by_library(conn_or_engine, quarter)
    return city


def read_targets(conn_or_engine, quarter: str) -> list[dict]:
    """Per indicator of ``INVESTMENT_INDICATORS`` with a target: its label, the amount (actual and
    target in 亿元 as 全市目标 shows them, progress) and the growth (actual, target, attained)."""
    rows = db.fetch(conn_or_engine, """
        SELECT indicator, label, measure, target, actual, attained, target_shown, actual_shown, progress
        FROM city_targets
        WHERE quarter = :q AND measure IN ('amount', 'growth')
          AND indicator IN ('industrial_investment', 'newbuild_investment', 'renovation_investment')
        ORDER BY indicator_order, measure_order""", q=quarter)
    out: dict[str, dict] = {}
    for r in rows:
        out.setdefault(r["indicator"], {"indicator": r["indicator"], "label": r["label"]})[r["measure"]] = dict(r)
    return [out[k] for k in INVESTMENT_INDICATORS if k in out]


def read_not_reported(conn_or_engine, quarter: str) -> list[dict]:
    """Units that did not send their reserve or dispatch library (unit_submissions, via the unit mart),
    in plan order, with the libraries missing."""
    rows = db.fetch(conn_or_engine, """
        SELECT unit, reserve_status, dispatch_status FROM bulletin_unit_quarter
        WHERE quarter = :q AND (reserve_status = 'not_received' OR dispatch_status = 'not_received')
        ORDER BY unit_order""", q=quarter)
    return [{"unit": r["unit"], "libraries": tuple(lib for lib in ("reserve", "dispatch")
                                                   if r[f"{lib}_status"] == "not_received")} for r in rows]


def read_missed_by_library(conn_or_engine, quarter: str) -> dict:
    """漏报 per library (docs/decisions.md): a project listed by 审批局 or 能源局 is a 调度库 漏报;
    one listed only by 商务局 (signed) a 储备库 漏报. The two add up to the 漏报 count."""
    rows = db.fetch(conn_or_engine, """
        SELECT library, COUNT(*) AS n FROM (
            SELECT unit, project_key,
                   CASE WHEN MAX(CASE WHEN source_list IN ('approved', 'energy') THEN 1 ELSE 0 END) = 1
                        THEN 'dispatch' ELSE 'reserve' END AS library
            FROM missed_reports WHERE quarter = :q GROUP BY unit, project_key) t
        GROUP BY library""", q=quarter)
    found = {r["library"]: int(r["n"]) for r in rows}
    return {"reserve": found.get("reserve", 0), "dispatch": found.get("dispatch", 0)}


def read_units(conn_or_engine, quarter: str) -> list[dict]:
    """Each unit's row of the table, in the plan's order, with its count of 未入统 projects; amounts
    also in 亿元 (rounded to 2 decimals in SQL)."""
    return db.fetch(conn_or_engine, """
        SELECT b.unit, b.unit_order, b.dispatch_projects, b.dispatch_total_investment,
               b.industrial_investment, b.industrial_growth, b.target_growth, b.growth_attained,
               round(cast(b.dispatch_total_investment / 10000 as numeric), 2) AS dispatch_total_investment_yi,
               round(cast(b.industrial_investment / 10000 as numeric), 2) AS industrial_investment_yi,
               b.start_rate, b.registration_rate, b.missed_reports,
               CASE WHEN b.registered_projects IS NULL THEN NULL ELSE COALESCE(u.n, 0) END AS unregistered
        FROM bulletin_unit_quarter b
        LEFT JOIN (SELECT unit, COUNT(*) AS n FROM unregistered_projects WHERE quarter = :q GROUP BY unit) u
               ON u.unit = b.unit
        WHERE b.quarter = :q
        ORDER BY b.unit_order""", q=quarter)


def read_problems(conn_or_engine, quarter: str, worst: int) -> dict:
    """三、存在问题: units below their growth target (plan order); the ``worst`` units with the most
    漏报 (the 漏报 count only: 退回待改 and 待核实 are not 漏报) and 未入统 projects (count > 0, most
    first, then the plan's unit order)."""
    below = [r["unit"] for r in db.fetch(conn_or_engine, """
        SELECT unit FROM bulletin_unit_quarter WHERE quarter = :q AND growth_attained = 0
        ORDER BY unit_order""", q=quarter)]
    counts = db.fetch(conn_or_engine, """
        SELECT COUNT(target_growth) AS with_target,
               SUM(CASE WHEN target_growth IS NOT NULL AND growth_attained IS NULL THEN 1 ELSE 0 END)
                   AS not_computable
        FROM bulletin_unit_quarter WHERE quarter = :q""", q=quarter)[0]

    def most(sql: str, **params) -> list[tuple[str, int]]:
        rows = db.fetch(conn_or_engine, sql, q=quarter, **params)
        return [(r["unit"], int(r["n"])) for r in rows if r["n"]][:worst]

    missed = most("""SELECT unit, missed_reports AS n FROM bulletin_unit_quarter
                     WHERE quarter = :q AND missed_reports > 0 ORDER BY missed_reports DESC, unit_order""")
    unreg = most("""SELECT u.unit, COUNT(*) AS n FROM unregistered_projects u
                    JOIN cfg_unit c ON c.unit = u.unit AND c.year = :y
                    WHERE u.quarter = :q GROUP BY u.unit, c.unit_order ORDER BY COUNT(*) DESC, c.unit_order""",
                 y=quarters.parse_quarter(quarter)[0])
    return {"below_target": below, "with_target": int(counts["with_target"] or 0),
            "growth_not_computable": int(counts["not_computable"] or 0), "most_missed": missed,
            "most_unregistered": unreg}


def read_commendation(conn_or_engine, quarter: str, count: int) -> dict:
    """表扬 / 通报批评: the ``count`` units furthest above their growth target (growth_rank 1, 2, …,
    target attained) and furthest below it (target not attained, lowest rank last), and how many
    units' industrial investment fell (negative growth)."""
    ranked = db.fetch(conn_or_engine, """
        SELECT unit, growth_rank, growth_attained FROM bulletin_unit_quarter
        WHERE quarter = :q AND growth_rank IS NOT NULL ORDER BY growth_rank, unit_order""", q=quarter)
    top = [r["unit"] for r in ranked if r["growth_attained"] == 1][:count]
    bottom = [r["unit"] for r in reversed(ranked) if r["growth_attained"] == 0 and r["unit"] not in top][:count]
    negative = db.fetch(conn_or_engine, """
        SELECT COUNT(*) AS n FROM bulletin_unit_quarter
        WHERE quarter = :q AND industrial_growth < 0""", q=quarter)[0]["n"]
    return {"top": top, "bottom": list(reversed(bottom)), "negative": int(negative or 0)}


def read_overdue_problems(conn_or_engine, quarter: str) -> int | None:
    """13710 problems overdue at the quarter's last month (problems_month); None when that month's
    dispatch was not loaded."""
    end = quarters.quarter_end(quarter)
    month = f"{end.year}-{end.month:02d}"
    row = db.fetch(conn_or_engine, """
        SELECT COUNT(*) AS n, SUM(overdue) AS overdue FROM problems_month WHERE month = :m""", m=month)[0]
    return int(row["overdue"] or 0) if row["n"] else None


# --------------------------------------------------------------------------------------------
# Formatting (no arithmetic beyond units of display)


def yi(amount_yi) -> str:
    """An amount already in 亿元 and rounded to 2 decimals by SQL -> ``X.XX`` text (no rounding here:
    the 亿元 figure has one rounding home, so the draft and 全市目标 cannot differ)."""
    return f"{Decimal(str(amount_yi)):.2f}"


def pct(rate) -> str:
    return f"{float(rate) * 100:.1f}%"


def growth_phrase(g) -> str:
    if g is None:
        return ""
    return f"同比增长{pct(g)}" if g >= 0 else f"同比下降{pct(-g)}"


def target_phrase(growth, target, attained, strict: bool = False) -> str:
    """"高于10%的目标" / "达到…" / "低于…" against a growth target, judged as the mart judged it
    (``attained``, at the precision the office reads); "" without a target."""
    if target is None:
        return ""
    goal = f"{float(target) * 100:g}%的目标"
    if growth is None or attained is None:
        return f"暂无法对照{goal}"
    if attained:
        return f"达到{goal}" if pct(growth) == pct(target) else f"高于{goal}"
    return f"未高于{goal}" if pct(growth) == pct(target) else f"低于{goal}"


def _n(v) -> str:
    return "—" if v is None else str(int(v))


def _yi(v) -> str:
    return "—" if v is None else yi(v)


def _pct(v) -> str:
    return "—" if v is None else pct(v)


def _names(pairs: list[tuple[str, int]]) -> str:
    return "、".join(f"{u}（{n}个）" for u, n in pairs)


def scope(city: dict) -> str:
    """What a city total covers: "（不含未报送单位）" when a unit sent no dispatch library."""
    return "（不含未报送单位）" if city.get("units_not_reported") else ""


def investment_sentence(t: dict) -> str:
    """One indicator's amount and growth, each with its target: "工业固定资产投资完成X亿元，完成年度目标
    （350.00亿元）的Y%；同比增长a%，高于10%的目标"."""
    amount, growth = t.get("amount"), t.get("growth")
    parts = []
    if amount is not None:
        if amount["actual_shown"] is None:
            parts.append(f"{t['label']}暂无法计算")
        else:
            text = f"{t['label']}完成{yi(amount['actual_shown'])}亿元"
            if amount["progress"] is not None:
                text += f"，完成年度目标（{yi(amount['target_shown'])}亿元）的{pct(amount['progress'])}"
            parts.append(text)
    if growth is not None:
        if growth["actual"] is None:
            parts.append("同比增速暂无法计算（缺少上年同期入统数据）")
        else:
            parts.append(growth_phrase(growth["actual"]) + "，"
                         + target_phrase(growth["actual"], growth["target"], growth["attained"]))
    return "；".join(parts)


def not_reported_sentence(units: list[dict]) -> str:
    """"岢岚县未按时报送调度库；…" grouped by the libraries missing, plan order kept."""
    groups: dict[tuple, list[str]] = {}
    for u in units:
        groups.setdefault(u["libraries"], []).append(u["unit"])
    parts = [f"{'、'.join(names)}未按时报送{'和'.join(LIBRARY_TITLES[lib] for lib in libs)}"
             for libs, names in groups.items()]
    return "；".join(parts)


def overview_sentences(city: dict, quarter: str) -> list[str]:
    """一、总体情况: [0] investment against targets, [1] the dispatch library, [2] 漏报 in three counts,
    [3] the units that did not report (when any)."""
    cutoff = office.cn_date(quarters.quarter_end(quarter))
    targets = city.get("targets") or []
    if targets:
        first, *parts = [investment_sentence(t) for t in targets]
        s1 = f"截至{cutoff}，全市{first}。" + "".join(("其中，" if i == 0 else "") + s + "。"
                                                    for i, s in enumerate(parts))
    else:
        g = city["industrial_growth"]
        s1 = (f"截至{cutoff}，全市工业固定资产投资完成{_yi(city['industrial_investment_yi'])}亿元，"
              + (growth_phrase(g) if g is not None else "同比增速暂无法计算（缺少上年同期入统数据）")
              + "；本年度未设全市工业投资目标。")
    covers = scope(city)
    s2 = (f"全市调度库项目{_n(city['dispatch_projects'])}个{covers}，"
          f"总投资{_yi(city['dispatch_total_investment_yi'])}亿元；"
          f"开复工{_n(city['started_projects'])}个，开复工率{_pct(city['start_rate'])}；"
          f"开复工项目已入统{_n(city['registered_projects'])}个，规范入统率{_pct(city['registration_rate'])}，"
          f"未入统项目{_n(city['unregistered'])}个。")
    by_lib = city.get("missed_by_library") or {}
    s3 = f"漏报项目{_n(city['missed_reports'])}个{covers}"
    if by_lib:
        s3 = ("对照市商务局、市行政审批局、市能源局清单，各单位" + s3
              + f"，其中储备库漏报{by_lib.get('reserve', 0)}个（对照市商务局签约清单），"
                f"调度库漏报{by_lib.get('dispatch', 0)}个（对照市行政审批局立项清单、市能源局能源类清单）")
    else:
        s3 = "对照市商务局、市行政审批局、市能源局清单，各单位" + s3
    s3 += set_aside_phrase(city) + "。"
    out = [s1, s2, s3]
    if city.get("not_reported"):
        out.append(not_reported_sentence(city["not_reported"]) + "，其未报送的库的数据未计入上述合计，不计漏报。")
    return out


def overview_text(conn_or_engine, quarter: str) -> str:
    """The draft 通报's 一、总体情况 paragraph as plain text (the office's delivery email body)."""
    return "".join(overview_sentences(read_city(conn_or_engine, quarter), quarter))


def set_aside_phrase(figures: dict) -> str:
    """The other two counts beside 漏报: 报送不规范（退回待改） and 待核实 (empty when none)."""
    parts = []
    if figures.get("returned_reports"):
        parts.append(f"报送不规范（退回待改）的项目{_n(figures['returned_reports'])}个")
    if figures.get("unconfirmed_reports"):
        parts.append(f"名称相近待核实的项目{_n(figures['unconfirmed_reports'])}个")
    return ("；另有" + "、".join(parts) + "，均不计入漏报") if parts else ""


def commendation_sentence(c: dict) -> str:
    """表扬 / 通报批评 wording (the office decides whether to keep it: printed on yellow)."""
    parts = []
    if c["top"]:
        parts.append(f"{'、'.join(c['top'])}工业固定资产投资增速超过目标幅度居前，予以表扬")
    if c["bottom"]:
        parts.append(f"{'、'.join(c['bottom'])}低于目标幅度居后，予以通报批评")
    if c["negative"]:
        parts.append(f"{c['negative']}个单位工业固定资产投资同比负增长")
    return ("；".join(parts) + "。") if parts else ""


def problem_paragraphs(p: dict) -> list[tuple[str, str]]:
    """三、存在问题 as (（一）-heading, text) pairs."""
    out = []
    if p["below_target"]:
        out.append(("（一）部分单位工业投资增速未达到目标。",
                    f"工业投资增速未达到目标的有{len(p['below_target'])}个单位：{'、'.join(p['below_target'])}。"))
    elif not p["with_target"]:
        out.append(("（一）工业投资增速目标。", "本年度未设各单位工业投资增速目标，暂不对照目标。"))
    elif p["growth_not_computable"]:
        out.append(("（一）工业投资增速暂无法对照目标。",
                    "部分单位因缺少上年同期入统数据，工业投资增速暂无法对照目标。"))
    else:
        out.append(("（一）工业投资增速均达到目标。",
                    "有增速目标的单位工业投资增速均达到目标。"))
    out.append(("（二）部分单位漏报项目较多。", f"漏报项目较多的有：{_names(p['most_missed'])}。")
               if p["most_missed"] else ("（二）漏报项目。", "本季度未发现漏报项目。"))
    out.append(("（三）部分开复工项目未规范入统。", f"开复工项目未入统较多的有：{_names(p['most_unregistered'])}。")
               if p["most_unregistered"] else ("（三）规范入统。", "本季度开复工项目均已入统。"))
    return out


def next_steps(city: dict, quarter: str, overdue: int | None) -> list[tuple[str, str]]:
    """四、下一步工作: editable suggestions from the quarter's data (printed on yellow)."""
    deadline = office.cn_date(office.resubmit_deadline(quarter))
    fix = "请各单位对照退回清单，"
    if city.get("returned_reports"):
        fix += f"对报送不规范（退回待改）的{_n(city['returned_reports'])}个项目"
    fix += f"于{deadline}前完成补报、更正，逐项核实漏报和待核实项目。"
    out = [("（一）抓好数据补报更正。", fix)]
    if city.get("unregistered"):
        out.append(("（二）推动项目规范入统。",
                    f"督促{_n(city['unregistered'])}个已开复工未入统项目尽快规范入统，做到应统尽统。"))
    if overdue:
        out.append(("（三）加快问题办结销号。", f"对13710平台超期未办结的{overdue}个问题，责任单位要限时办结销号。"))
    if city.get("not_reported"):
        names = "、".join(u["unit"] for u in city["not_reported"])
        out.append(("（四）按时报送项目库。", f"{names}要按时报送储备库、调度库，确保数据完整。"))
    numerals = "一二三四五六七八九"
    return [(f"（{numerals[i]}）{h.split('）', 1)[1]}", t) for i, (h, t) in enumerate(out)]


# --------------------------------------------------------------------------------------------
# The table's cells


def table_row(seq, r: dict) -> list[str]:
    """A unit's row of the 二、各县（市、区）情况 table as cell texts, in the order of ``notice.TABLE_HEADERS``."""
    return [seq, r["unit"], _n(r["dispatch_projects"]), _yi(r["dispatch_total_investment_yi"]),
            _yi(r["industrial_investment_yi"]), _pct(r["industrial_growth"]),
            _pct(r.get("target_growth")), _pct(r["start_rate"]), _pct(r["registration_rate"]),
            _n(r["missed_reports"]), _n(r["unregistered"])]
