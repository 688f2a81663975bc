"""The bulletin's attached sheets: 漏报项目, 未入统项目, 全市目标, 图表 and 报送质量."""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from keyprojects.documents import look
from keyprojects.documents.bulletin_main import COL, FIRST_DATA_ROW, header_block


def _write_list_sheet(ws, title: str, quarter: str, header: dict,
                      headers: Sequence[tuple[str, float]], rows: Sequence[Sequence[tuple]], empty_text: str,
                      footnote: str | None = None, unit_text: str = "单位：万元") -> None:
    """A titled, printable table on a write-only sheet (rows top to bottom). Each row is a sequence
    of (value, number format[, attained]) cells; an ``attained`` flag colours the cell green or red; a
    row given as a string is a section heading merged across the table."""
    ncols = len(headers)
    hr = 3
    for j, (_, width) in enumerate(headers, start=1):  # written with the first row
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.freeze_panes = f"A{hr + 1}"
    look.print_setup(ws, f"{hr}:{hr}")
    ws.oddHeader.center.text = title
    ws.oddHeader.center.size = 9
    look.title_row(ws, title, ncols)
    header_block(ws, quarter, header, ncols, unit_text)
    look.write_row(ws, hr, [look.header(ws, text) for text, _ in headers], 28)
    r = hr + 1
    if not rows:
        look.merge(ws, r, 1, r, ncols)
        look.write_row(ws, r, [look.cell(ws, empty_text, alignment=look.CENTER)])
    for values in rows:
        if isinstance(values, str):  # a section heading: one line across the table
            look.merge(ws, r, 1, r, ncols)
            look.write_row(ws, r, [look.cell(ws, values, font=look.TOTAL_FONT, alignment=look.LEFT,
                                             fill=look.GROUP_FILL)]
                           + [look.cell(ws, None, fill=look.GROUP_FILL) for _ in range(ncols - 1)], 20)
            r += 1
            continue
        longest = 0.0
        cells = []
        for j, (value, fmt, *attained) in enumerate(values, start=1):
            c = look.cell(ws, value, fmt, alignment=look.CENTER if j <= 2 or attained else None)
            if attained:
                look.attained_style(c, attained[0])
            cells.append(c)
            if isinstance(value, str):
                longest = max(longest, look.row_height(value, headers[j - 1][1]))
        look.write_row(ws, r, cells, max(18.0, longest))
        r += 1
    if footnote:
        look.merge(ws, r + 1, 1, r + 1, ncols)
        look.write_row(ws, r + 1, [look.cell(ws, footnote, font=look.NOTE_FONT,
                                             alignment=Alignment(horizontal="left", wrap_text=True), border=False)],
                       27 if len(footnote) > 80 else 15)


# The 漏报 sheet's sections (docs/rules.md, '漏报, 退回待改, 待核实'): category -> heading
MISSED_SECTIONS = (
    ("missed", "一、漏报项目（计入漏报数）"),
    ("returned", "二、退回待改项目（已报送但被退回，不计漏报，请尽快更正后重报）"),
    ("unconfirmed", "三、待核实项目（本单位库中有名称相近项目，不计漏报，请核实）"),
)
LIBRARY_TITLES = {"reserve": "储备库", "dispatch": "调度库"}


def write_missed_sheet(ws, quarter: str, header: dict, missed: Sequence[dict], unit_key) -> None:
    """One section per category, each numbered from 1; a 退回待改 row names the rejected library row
    (library, file, row) in 备注, a 待核实 row its 疑似对应在库项目."""
    ordered = sorted(missed, key=lambda m: (unit_key(m.get("unit")), str(m.get("project_name") or ""),
                                            str(m.get("project_code") or "")))
    rows = []
    for category, heading in MISSED_SECTIONS:
        items = [m for m in ordered if (m.get("category") or "missed") == category]
        rows.append(f"{heading}：{len(items)}个")
        for i, m in enumerate(items, start=1):
            sim = look.as_number(m.get("candidate_similarity"))
            remark = None
            if category == "returned":
                remark = (f"已在{LIBRARY_TITLES.get(m.get('returned_list'), m.get('returned_list') or '')}报送"
                          f"（{m.get('returned_file')} 第{m.get('returned_row_number')}行），被退回")
            rows.append([(i, look.COUNT), (m.get("unit"), None), (m.get("project_code"), None),
                         (m.get("project_name"), None), (m.get("owner"), None),
                         (look.as_number(m.get("total_investment")), look.AMOUNT), (m.get("sources"), None),
                         (m.get("source_date"), None), (m.get("candidate_name"), None),
                         (sim, look.RATE if sim else None), (remark, None)])
    _write_list_sheet(ws, f"{look.CITY}工业重点项目漏报项目清单（{look.quarter_label(quarter)}）", quarter, header,
                      [("序号", 5), ("县（市、区）", 12), ("项目代码", 25), ("项目名称", 40), ("建设单位", 28),
                       ("总投资（万元）", 12), ("来源清单", 11), ("立项/签约日期", 12), ("疑似对应在库项目", 40),
                       ("相似度", 8), ("备注", 30)], rows, "本季度无漏报项目",
                      footnote="注：来源清单：签约=市商务局签约清单，立项=市行政审批局立项清单，能源=市能源局能源类清单；"
                               "一个项目列一行，多个来源以顿号分隔。退回待改：本单位储备库/调度库中报送了该项目，但该行"
                               "因数据问题被退回（见退回清单），不计漏报；待核实：本单位储备库/调度库中有名称相近"
                               "（相似度≥90%）的项目，可能为同一项目名称填写不一致，请核实，不计漏报。"
                               "未报送调度库的单位不计漏报。")


def write_unregistered_sheet(ws, quarter: str, header: dict, unregistered: Sequence[dict],
                             unit_key) -> None:
    ordered = sorted(unregistered, key=lambda m: (unit_key(m.get("unit")), str(m.get("project_name") or ""),
                                                  str(m.get("project_code") or "")))
    rows = [[(i, look.COUNT), (m.get("unit"), None), (m.get("project_code"), None), (m.get("project_name"), None),
             (m.get("nature"), None), (m.get("status"), None), (m.get("start_date"), None),
             (look.as_number(m.get("total_investment")), look.AMOUNT)]
            for i, m in enumerate(ordered, start=1)]
    _write_list_sheet(ws, f"{look.CITY}工业重点项目未入统项目清单（{look.quarter_label(quarter)}）", quarter, header,
                      [("序号", 5), ("县（市、区）", 12), ("项目代码", 26), ("项目名称", 46), ("建设性质", 11),
                       ("开工状态", 11), ("开工时间", 12), ("总投资（万元）", 14)], rows, "本季度无未入统项目",
                      footnote="注：调度库中已开复工（新开工、续建、复工、竣工/投产）但未列入市统计局入统清单的项目。")


def write_targets_sheet(ws, quarter: str, header: dict, targets: Sequence[dict]) -> None:
    fmts = {"亿元": look.AMOUNT, "个": look.COUNT, "%": look.RATE}
    rows = []
    for i, t in enumerate(targets, start=1):
        fmt = fmts.get(t.get("shown_unit"), look.AMOUNT)
        attained = look.as_int(t.get("attained"))
        measure = look.MEASURE_LABELS.get(t["measure"], t["measure"])
        rows.append([(i, look.COUNT), (t.get("label") or t["indicator"], None), (measure, None),
                     (look.as_number(t.get("target_shown")), fmt), (look.as_number(t.get("actual_shown")), fmt),
                     ("无法判断" if attained is None else ("完成" if attained else "未完成"), None, attained),
                     (look.as_number(t.get("progress")), look.RATE), (t.get("note"), None)])
    _write_list_sheet(ws, f"{look.CITY}工业重点项目全市目标完成情况（{look.quarter_label(quarter)}）", quarter, header,
                      [("序号", 5), ("指标", 30), ("口径", 10), ("目标", 12), ("实际", 12), ("是否完成", 9),
                       ("完成进度", 9), ("说明", 30)],
                      rows, "本年度未设全市目标（无目标配置）",
                      footnote="注：实际值为截至本季度末的累计数，与通报表“全市合计”行一致；年度目标按全年计；"
                               "完成进度=实际/目标（金额、个数）；空白表示无法计算；无法判断：数据不全（原因见说明），不作完成认定。",
                      unit_text="金额单位：亿元")


def write_charts_sheet(ws, main, quarter: str, header: dict, n_units: int) -> None:
    ncols = 16
    for j in range(1, ncols + 1):  # openpyxl's default width, which the sheet always had
        ws.column_dimensions[get_column_letter(j)].width = 13
    look.print_setup(ws, "")
    ws.page_setup.fitToHeight = 1
    look.title_row(ws, f"{look.CITY}工业重点项目建设情况图表（{look.quarter_label(quarter)}）", ncols)
    header_block(ws, quarter, header, ncols, None)
    if n_units == 0:
        return
    first, last = FIRST_DATA_ROW, FIRST_DATA_ROW + n_units - 1
    # Unit names are text: categories as a string reference (set_categories would make a numRef).
    cats = str(Reference(main, min_col=COL["unit"], min_row=first, max_row=last))

    def categorise(chart) -> None:
        for series in chart.series:
            series.cat = AxDataSource(strRef=StrRef(f=cats))

    growth = BarChart()
    growth.type = "col"
    growth.title = "各县（市、区）工业投资同比增速与目标增速"
    growth.y_axis.title = "增速"
    growth.y_axis.number_format = "0%"
    growth.add_data(Reference(main, min_col=COL["industrial_growth"], min_row=first, max_row=last),
                    titles_from_data=False)
    categorise(growth)
    growth.series[0].tx = SeriesLabel(v="工业投资同比增速")
    target = LineChart()
    target.add_data(Reference(main, min_col=COL["target_growth"], min_row=first, max_row=last), titles_from_data=False)
    target.series[0].tx = SeriesLabel(v="目标增速")
    target.series[0].marker.symbol = "dash"
    target.series[0].marker.size = 12
    target.series[0].graphicalProperties.line.noFill = True
    target.series[0].marker.graphicalProperties = GraphicalProperties(solidFill="C00000")
    target.series[0].marker.graphicalProperties.line.solidFill = "C00000"  # visible over the bars
    categorise(target)
    growth += target
    growth.x_axis.delete = False
    growth.y_axis.delete = False
    growth.x_axis.tickLblPos = "low"  # unit names below the plot, not across negative bars
    growth.legend.position = "b"
    growth.width, growth.height = 26, 10
    ws.add_chart(growth, "A4")

    # Horizontal bars: one unit per line, its label at the bar's end, so labels never overlap.
    rate = BarChart()
    rate.type = "bar"
    rate.title = "各县（市、区）开复工率"
    rate.y_axis.title = "开复工率"
    rate.y_axis.number_format = "0%"
    rate.y_axis.scaling.min = 0
    rate.y_axis.scaling.max = 1.1
    rate.y_axis.majorUnit = 0.2
    rate.x_axis.scaling.orientation = "maxMin"  # the plan's order from top to bottom
    rate.y_axis.crosses = "max"  # ... with the percentage axis at the bottom
    rate.add_data(Reference(main, min_col=COL["start_rate"], min_row=first, max_row=last), titles_from_data=False)
    rate.series[0].tx = SeriesLabel(v="开复工率")
    categorise(rate)
    rate.dataLabels = DataLabelList()
    rate.dataLabels.showVal = True
    rate.dataLabels.showSerName = False
    rate.dataLabels.showCatName = False
    rate.dataLabels.showLegendKey = False
    rate.dataLabels.numFmt = "0.0%"
    rate.dataLabels.position = "outEnd"
    rate.gapWidth = 60
    rate.x_axis.delete = False
    rate.y_axis.delete = False
    rate.legend = None
    rate.width, rate.height = 26, 14
    ws.add_chart(rate, "A26")


def _timeliness(q: dict) -> tuple[str | None, bool | None]:
    """报送情况 and its colour: 按时 (green), 逾期N天 / 未报送 (red), unknown receipt time (plain)."""
    if not q["files"]:
        return "未报送", False
    if q["on_time"] is None:
        return "已报送（时间不详）", None
    return ("按时", True) if q["on_time"] else (f"逾期{q['days_late']}天", False)


def write_quality_sheet(ws, quarter: str, header: dict, quality: Sequence[dict]) -> None:
    """报送质量: each sender's reporting of the quarter (``submission_quality``), so that the 通报 can
    name late or careless senders."""
    from keyprojects.documents.returns import rule_label

    rows = []
    for i, q in enumerate(quality, start=1):
        status, ok = _timeliness(q)
        top = f"{rule_label(q['top_rule']) or q['top_rule']}（{q['top_rule_rows']}行）" if q["top_rule"] else None
        rows.append([(i, look.COUNT), (q["sender"], None), (q["list_title"], None), (q["received_at"], None),
                     (status, None, ok) if ok is not None else (status, None),
                     (q["files"], look.COUNT), (q["resubmissions"], look.COUNT), (q["rows_read"], look.COUNT),
                     (q["rows_loaded"], look.COUNT), (q["rows_rejected"], look.COUNT),
                     (q["rows_skipped"], look.COUNT), (q["rejection_rate"], look.RATE), (top, None),
                     (q["missed_reports"], look.COUNT), (q["unregistered_projects"], look.COUNT)])
    _write_list_sheet(ws, f"{look.CITY}工业重点项目报送质量（{look.quarter_label(quarter)}）", quarter, header,
                      [("序号", 5), ("报送单位", 14), ("清单", 10), ("报送时间", 17), ("报送情况", 10),
                       ("文件数", 6), ("重报次数", 6), ("读取行数", 7), ("接收行数", 7), ("退回行数", 7),
                       ("跳过行数", 7), ("退回率", 7), ("主要退回原因", 18), ("漏报项目", 7), ("未入统项目", 7)],
                      rows, "本季度无报送记录", unit_text="",
                      footnote="注：报送时间为文件最后一次送达时间（北京时间），截止时间为季度末后规定天数的24时；"
                               "退回率＝退回行数÷（接收行数＋退回行数）；跳过行数为空行、小计、说明等非数据行；"
                               "漏报、未入统项目为该县（市、区）本季度数。")
