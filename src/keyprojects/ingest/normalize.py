"""Pure value normalisers shared by the readers, the validation and the generator's truth.

Every function takes a cell value as a reader returns it (str, int, float, datetime, date or None)
and returns the canonical value or None when the value cannot be understood.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

from keyprojects import config

_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−﹣－~～"), "-")
CODE_RE = re.compile(r"^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$")
_NUMBER_RE = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def is_blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def text(value) -> str | None:
    """A cell as trimmed text (NFKC), or None when blank. Numbers print without a trailing .0."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()[:10]
    return unicodedata.normalize("NFKC", str(value)).strip()


# ---------------------------------------------------------------- amounts

def parse_amount(value, file_unit: str = "万元") -> float | None:
    """An amount in 万元. ``file_unit`` is the file's 单位 line ("万元", "亿元" or "元").

    A number cell is in the file's unit; a text cell may carry its own unit ("1.2亿", "800万元"),
    commas ("1,200") and full-width digits. Returns None when it is not a number.
    """
    scale = {"万元": 1.0, "亿元": 10000.0, "元": 0.0001}.get(file_unit, 1.0)
    if is_blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) * scale
    s = config.squash(value).replace(",", "").replace("，", "")
    for suffix, own_scale in (("亿元", 10000.0), ("万元", 1.0), ("亿", 10000.0), ("万", 1.0), ("元", 0.0001)):
        if s.endswith(suffix):
            s, scale = s[: -len(suffix)], own_scale
            break
    if not _NUMBER_RE.match(s):
        return None
    return round(float(s) * scale, 6)


# ---------------------------------------------------------------- dates

# A time of day after a date, in any form Excel, WPS and web exports write: "9:00", "08:30:00",
# "8:30:00.000", "T08:30:00+08:00", "上午9:00", "9:00 AM", "9时30分", "9点". It follows a space, a "T"
# or the 日 of a Chinese date; it is removed so that only the day is read.
_TIME_RE = re.compile(
    r"(?:(?<=日)|(?<=\d)T|\s+)\s*(?:上午|下午|中午|晚上|凌晨)?\s*"
    r"(?:\d{1,2}[:：]\d{1,2}(?:[:：]\d{1,2}(?:\.\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?"
    r"|\d{1,2}[时点](?:\d{1,2}分(?:\d{1,2}秒)?)?)"
    r"\s*(?:Z|[+-]\d{2}:?\d{2})?\s*$"
)

_DATE_RES = (
    re.compile(r"^(\d{4})[年./-](\d{1,2})[月./-](\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})[年./-](\d{1,2})月?$"),
)


def parse_date(value) -> dt.date | None:
    """Excel serials, datetimes, 2022年3月(15日), 2022.3.15, 2022/03/15, 2022-03-15, 20220315.

    A month without a day ("2022年3月") is read as the first of that month.
    """
    if is_blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)):
        if float(value).is_integer() and 19900101 <= value <= 21001231:
            value = str(int(value))  # a yyyymmdd number typed into a cell
        else:
            return _from_serial(float(value))
    # a time of day is dropped before the spaces go: "2022/3/28 9:00" must not become "2022/3/289:00"
    s = config.squash(_TIME_RE.sub("", unicodedata.normalize("NFKC", str(value)).strip())).translate(_DASHES)
    if _NUMBER_RE.match(s) and not re.fullmatch(r"\d{8}", s):
        return _from_serial(float(s))
    for rx in _DATE_RES:
        m = rx.match(s)
        if m:
            year, month = int(m.group(1)), int(m.group(2))
            day = int(m.group(3)) if m.lastindex and m.lastindex >= 3 else 1
            try:
                d = dt.date(year, month, day)
            except ValueError:
                return None
            return d if 1990 <= d.year <= 2100 else None
    return None


def _from_serial(serial: float) -> dt.date | None:
    if not (20000 <= serial <= 80000):  # 1954 .. 2119: anything else is not a date
        return None
    return _EXCEL_EPOCH + dt.timedelta(days=int(serial))


# ---------------------------------------------------------------- project codes

def clean_code(value) -> str | None:
    """The code with spaces removed and every dash made '-', hyphenated when given as 20 digits.

    It is returned whether or not it is valid; ``normalize_code`` adds the validity check.
    """
    s = text(value)
    if s is None:
        return None
    s = re.sub(r"\s+", "", s.translate(_DASHES)).upper()
    if re.fullmatch(r"\d{20}", s):
        s = f"{s[:4]}-{s[4:10]}-{s[10:12]}-{s[12:14]}-{s[14:]}"
    return s


def code_is_valid(code: str) -> bool:
    """GB/T 40058 ``YYMM-DDDDDD-NN-NN-NNNNNN`` or the older year-first form ``YYYY-…``."""
    if not CODE_RE.match(code):
        return False
    head = code[:4]
    year_first = 1990 <= int(head) <= 2020
    year_month = 1 <= int(head[2:]) <= 12
    return year_first or year_month


def normalize_code(value) -> str | None:
    code = clean_code(value)
    return code if code is not None and code_is_valid(code) else None


# ---------------------------------------------------------------- units and vocabularies

_UNIT_PREFIXES = ("山西省忻州市", "山西省", "忻州市")


def resolve_unit(value) -> str | None:
    """The unit's canonical name for any of its spellings, or None."""
    s = text(value)
    if s is None:
        return None
    table = config.unit_lookup()
    key = config.squash(s)
    if key in table:
        return table[key]
    for prefix in _UNIT_PREFIXES:
        if key.startswith(prefix) and key[len(prefix):] in table:
            return table[key[len(prefix):]]
    return None


def resolve_vocab(vocabulary: str, value) -> str | None:
    s = text(value)
    if s is None:
        return None
    return config.vocab()[vocabulary].get(config.squash(s))


def resolve_cluster(value) -> str | None:
    s = text(value)
    if s is None:
        return None
    return config.clusters().get(config.squash(s))


# ---------------------------------------------------------------- problems

def problem_text(value) -> str | None:
    """A 存在问题 cell as text, or None when blank or when it says there is none (无, 暂无, 无问题,
    "/", "—": ``config.no_problem_words``)."""
    s = text(value)
    if s is None:
        return None
    return None if config.squash(s).rstrip("。.") in config.no_problem_words() else s


# ---------------------------------------------------------------- names

_NAME_PUNCT = re.compile(r"[\s\-_·•.,，。、:：;；'\"“”‘’()（）\[\]【】{}《》<>/\\|!！?？]+")
_NAME_SUFFIXES = ("建设项目", "项目", "工程")


def normalize_name(value) -> str | None:
    """A project name reduced for matching: NFKC, no spaces or punctuation, no trailing 项目/工程."""
    s = text(value)
    return None if s is None else name_key(s)


def name_key(s: str) -> str | None:
    """``normalize_name`` of a value whose ``text`` is ``s`` (the readers have the text already)."""
    s = _NAME_PUNCT.sub("", unicodedata.normalize("NFKC", s)).lower()
    changed = s.endswith(_NAME_SUFFIXES)  # else no pass below changes it
    while changed:
        changed = False
        for suffix in _NAME_SUFFIXES:
            if s.endswith(suffix) and len(s) > len(suffix) + 1:
                s = s[: -len(suffix)]
                changed = True
    return s or None
