"""How values get written by hand: spellings of units, amounts, dates, codes, names and vocabularies.

Each function takes the canonical value and a ``random.Random`` and returns what a cell holds.
``csv`` means the cell ends up as text in a CSV file (no date cells, numbers as text).
"""

from __future__ import annotations

import datetime as dt
import random

from keyprojects import config
from keyprojects.ingest import normalize

FULLWIDTH = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")
EXCEL_EPOCH = dt.date(1899, 12, 30)


def num_text(v: float) -> str:
    """A number as Excel/WPS would export it: no trailing .0, no exponent."""
    if float(v).is_integer():
        return str(int(v))
    s = f"{v:.6f}".rstrip("0").rstrip(".")
    return s


def excel_number(v: float):
    return int(v) if float(v).is_integer() else float(v)


# ------------------------------------------------------------------ units

PROVINCE_PREFIX = "山西省忻州市"   # 山西省忻州市代县: the full administrative form some files use


def province_spelling(unit_name: str) -> str:
    """The unit with province and city in front (山西省忻州市代县; 山西省忻州经济开发区)."""
    if unit_name.startswith("忻州"):
        return "山西省" + unit_name
    return PROVINCE_PREFIX + unit_name


def unit_spellings(unit: config.Unit) -> list[str]:
    out = [unit.name, *unit.aliases]
    if not unit.name.startswith("忻州"):
        out.append("忻州市" + unit.name)
    out.append(province_spelling(unit.name))
    if unit.code:
        out.append(unit.code)
    seen, res = set(), []
    for s in out:
        if s not in seen and normalize.resolve_unit(s) == unit.name:
            seen.add(s)
            res.append(s)
    return res


def pick_unit_spelling(rng: random.Random, unit: config.Unit) -> str:
    options = unit_spellings(unit)
    r = rng.random()
    if r < 0.55:
        return unit.name
    return rng.choice(options)


UNKNOWN_UNITS = ("太原市", "阳曲县", "朔州市", "大同市云州区", "吕梁市岚县", "太原市尖草坪区")


# ------------------------------------------------------------------ amounts

AMOUNT_STYLES_WAN = (("num", 62), ("text", 10), ("comma", 10), ("wan", 6), ("yi", 5), ("full", 7))
AMOUNT_STYLES_YI = (("num", 80), ("text", 6), ("yi", 8), ("wan", 6))


def amount_form(rng: random.Random, v: float, col_unit: str, csv: bool, style: str | None = None):
    """Write ``v`` (万元) in a column whose unit is ``col_unit`` (万元/亿元)."""
    from .world import weighted

    if style is None:
        style = weighted(rng, AMOUNT_STYLES_YI if col_unit == "亿元" else AMOUNT_STYLES_WAN)
    in_unit = v / 10000 if col_unit == "亿元" else v
    if col_unit == "亿元":
        in_unit = round(in_unit, 6)
    if style == "num":
        return num_text(in_unit) if csv else excel_number(in_unit)
    if style == "text":
        return num_text(in_unit)
    if style == "comma" and col_unit == "万元" and v >= 1000:
        return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"
    if style == "wan":
        return num_text(v) + rng.choice(("万元", "万"))
    if style == "yi":
        return num_text(round(v / 10000, 6)) + rng.choice(("亿元", "亿"))
    if style == "full":
        return num_text(in_unit).translate(FULLWIDTH)
    return num_text(in_unit) if csv else excel_number(in_unit)


# ------------------------------------------------------------------ dates

DATE_STYLES_EXCEL = (("cell", 45), ("serial", 12), ("ym", 10), ("ymd_cn", 6), ("dot", 10), ("slash", 9),
                     ("iso", 4), ("compact", 4))
DATE_STYLES_CSV = (("iso", 25), ("slash", 20), ("slash_short", 8), ("dot", 15), ("ym", 12), ("ymd_cn", 10),
                   ("serial", 5), ("compact", 8))
# Text dates that may carry a time of day, as Excel and WPS write them when they save a CSV
# ("2022/3/28 9:00") and web exports write them ("2022-03-15 08:30:00"): the day is what counts.
TIMED_STYLES = ("slash", "slash_short", "iso", "dot", "ymd_cn")
TIME_FORMS = ("{h}:{mi:02d}", "{h}:{mi:02d}:{s:02d}", "{h:02d}:{mi:02d}:{s:02d}", "{h:02d}:{mi:02d}")


def time_of_day(rng: random.Random) -> str:
    return rng.choice(TIME_FORMS).format(h=rng.randrange(0, 24), mi=rng.randrange(60), s=rng.randrange(60))


def date_form(rng: random.Random, d: dt.date, csv: bool, style: str | None = None, month_only: bool = False):
    return date_cell(rng, d, csv, style, month_only)[0]


def date_cell(rng: random.Random, d: dt.date, csv: bool, style: str | None = None, month_only: bool = False):
    """(the cell as written, the day it means): the day itself, or the first of its month where only
    the month is written. The meaning comes from how the cell was made, not from reading it back."""
    from .world import weighted

    if style is None:
        style = weighted(rng, DATE_STYLES_CSV if csv else DATE_STYLES_EXCEL)
    if month_only:
        style = rng.choice(("ym", "ym", "ym", "ym_slash", "cell" if not csv else "ym"))
        if style == "cell":
            d = d.replace(day=1)
    y, m, day = d.year, d.month, d.day
    if style == "cell":
        return dt.datetime(y, m, day), d
    if style == "serial":
        n = (d - EXCEL_EPOCH).days
        return (str(n) if csv else n), d
    if style in ("ym", "ym_slash"):
        s, d = (f"{y}年{m}月" if style == "ym" else f"{y}/{m}"), d.replace(day=1)
    elif style == "ymd_cn":
        s = f"{y}年{m}月{day}日"
    elif style == "dot":
        s = f"{y}.{m}.{day}"
    elif style == "slash":
        s = f"{y}/{m:02d}/{day:02d}"
    elif style == "slash_short":
        s = f"{y}/{m}/{day}"
    elif style == "compact":
        s = f"{y}{m:02d}{day:02d}"
    else:
        s = f"{y}-{m:02d}-{day:02d}"
    if style in TIMED_STYLES and rng.random() < (0.2 if csv else 0.05):
        s += " " + time_of_day(rng)
    if style != "compact" and rng.random() < 0.03:
        s = s.translate(FULLWIDTH)
    return s, d


BAD_DATES = ("{y}年13月", "{y}.02.30", "{y}年2月30日", "{y}/13/05", "{y}年底", "三月底", "{y}.0.15")


# ------------------------------------------------------------------ codes

CODE_STYLES = (("plain", 72), ("spaces", 8), ("fullwidth", 7), ("emdash", 3), ("nodash", 7), ("padded", 3))


def code_form(rng: random.Random, code: str, style: str | None = None) -> str:
    from .world import weighted

    if style is None:
        style = weighted(rng, CODE_STYLES)
    if style == "spaces":
        return code.replace("-", rng.choice((" ", " - ", "- ")))
    if style == "fullwidth":
        return code.replace("-", "－")
    if style == "emdash":
        return code.replace("-", "—")
    if style == "nodash":
        return code.replace("-", "")
    if style == "padded":
        return f" {code} "
    return code


def bad_code(rng: random.Random, code: str | None, year: int) -> str:
    base = code or f"{year % 100:02d}03-140902-89-03-{rng.randrange(1, 999999):06d}"
    choices = (
        base[:9] + base[10:-1],                 # a digit dropped twice: 2203-14090-89-01-12345
        "ABCD" + base[4:],
        f"{year % 100:02d}13" + base[4:],       # month 13
        base.replace("-", "")[:-3],             # too short without hyphens
        base[:5] + base[5:11].replace(base[6], "X", 1) + base[11:],
    )
    for _ in range(10):
        out = rng.choice(choices)
        if normalize.normalize_code(out) is None and not normalize.is_blank(out):
            return out
    return "ABCD-140902-89-01-123456"


# ------------------------------------------------------------------ names

NEAR_MISS = {"镁": "美", "材": "才", "料": "科", "光": "广", "煤": "媒", "业": "亚", "能": "熊", "源": "原",
             "合": "和", "金": "今", "电": "店", "化": "华", "产": "厂", "建": "健", "装": "壮", "鑫": "新"}


def name_form(rng: random.Random, name: str, owner: str) -> str:
    """A spelling of ``name`` whose normalised key equals the canonical one's."""
    r = rng.random()
    out = name
    if r < 0.82:
        return name
    if r < 0.86 and name.startswith(owner):
        out = owner + " " + name[len(owner):]
    elif r < 0.89 and name.startswith(owner):
        out = owner + "（" + name[len(owner):] + "）"
    elif r < 0.93 and name.endswith("项目"):
        out = name[:-2]
    elif r < 0.96 and name.endswith("项目"):
        out = name[:-2] + "建设项目"
    elif r < 0.98:
        out = name.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    else:
        out = " " + name + " "
    if normalize.normalize_name(out) != normalize.normalize_name(name):
        return name
    return out


def near_miss(rng: random.Random, name: str, taken: set[str]) -> str | None:
    """``name`` with one character changed so that its key differs (and names no other project)."""
    idx = [i for i, ch in enumerate(name) if ch in NEAR_MISS or ch.isdigit()]
    rng.shuffle(idx)
    for i in idx:
        ch = name[i]
        new = NEAR_MISS.get(ch) or str((int(ch) + rng.randrange(1, 9)) % 10)
        out = name[:i] + new + name[i + 1:]
        key = normalize.normalize_name(out)
        if key != normalize.normalize_name(name) and key not in taken:
            return out
    return None


# ------------------------------------------------------------------ vocabularies

_SPELLINGS: dict[str, dict[str, list[str]]] = {}


def vocab_spellings(vocabulary: str, canonical: str) -> list[str]:
    table = _SPELLINGS.setdefault(vocabulary, {})
    if canonical not in table:
        opts = [s for s, c in config.vocab()[vocabulary].items() if c == canonical and s and not s.isascii()]
        table[canonical] = sorted(set(opts)) or [canonical]
    return table[canonical]


def vocab_form(rng: random.Random, vocabulary: str, canonical: str) -> str:
    if rng.random() < 0.8:
        return canonical if canonical != "竣工投产" else rng.choice(("竣工投产", "竣工/投产", "已投产"))
    return rng.choice(vocab_spellings(vocabulary, canonical))


BAD_VALUES = {"nature": ("其他类", "改扩建", "新建续建"), "status": ("暂停中", "停工", "筹建"),
              "approval_type": ("登记", "审核", "批复"), "registered_flag": ("待定", "拟入统", "申报中")}
for _voc, _vals in BAD_VALUES.items():
    for _v in _vals:
        assert normalize.resolve_vocab(_voc, _v) is None, _v
for _u in UNKNOWN_UNITS:
    assert normalize.resolve_unit(_u) is None, _u

BAD_NUMBERS = ("约一千万", "1.2.3", "一千二百", "12OO", "待定", "见附件")
