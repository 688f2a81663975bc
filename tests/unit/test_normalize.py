import datetime as dt

import pytest

from keyprojects.ingest import normalize as n


@pytest.mark.parametrize("value,unit,expected", [
    ("1,200", "万元", 1200.0), ("1.2亿", "万元", 12000.0), ("800万元", "亿元", 800.0), ("８００", "万元", 800.0),
    (3.5, "亿元", 35000.0), (" 1,234.5 ", "万元", 1234.5), ("2亿元", "万元", 20000.0), (600, "万元", 600.0),
    ("5000000元", "万元", 500.0),
])
def test_amounts_convert_to_wanyuan(value, unit, expected):
    assert n.parse_amount(value, unit) == pytest.approx(expected)


@pytest.mark.parametrize("value", ["约一千万", "1.2.3", "N/A", "待定"])
def test_unparseable_amounts_are_none(value):
    assert n.parse_amount(value) is None


def test_blank_amount_is_none_not_zero():
    assert n.parse_amount(None) is None and n.parse_amount("  ") is None


@pytest.mark.parametrize("value,expected", [
    ("2022年3月", dt.date(2022, 3, 1)), ("2022.3.15", dt.date(2022, 3, 15)), ("2022/03/15", dt.date(2022, 3, 15)),
    ("2022-03-15", dt.date(2022, 3, 15)), ("2022年3月15日", dt.date(2022, 3, 15)), (44635, dt.date(2022, 3, 15)),
    (dt.datetime(2022, 3, 15, 8, 0), dt.date(2022, 3, 15)), ("20220315", dt.date(2022, 3, 15)),
    ("２０２２．３．１５", dt.date(2022, 3, 15)), (20220315, dt.date(2022, 3, 15)), ("44635.00", dt.date(2022, 3, 15)),
])
def test_dates_in_every_listed_form(value, expected):
    assert n.parse_date(value) == expected


# Every date form of docs/rules.md, written without a time and with a time of day in the forms Excel,
# WPS and web exports write (issue 14 §3: "2022/3/28 9:00" was read as 2022-03-02).
DATE_FORMS = [
    ("2022年3月28日", dt.date(2022, 3, 28)), ("2022.3.28", dt.date(2022, 3, 28)), ("2022/03/28", dt.date(2022, 3, 28)),
    ("2022/3/28", dt.date(2022, 3, 28)), ("2022-03-28", dt.date(2022, 3, 28)), ("2022-3-8", dt.date(2022, 3, 8)),
    ("20220328", dt.date(2022, 3, 28)), ("2022年3月", dt.date(2022, 3, 1)),
    ("２０２２．３．２８", dt.date(2022, 3, 28)),
    ("44648", dt.date(2022, 3, 28)),
]
TIMES = [" 9:00", " 8:30:00", " 09:00", " 08:30:00", " 0:00:00", " 23:59:59", " 9:00:00.000", "T08:30:00",
         " 上午9:00", " 9:00 PM", " 9时30分", "　９：００", " 8:30:00+08:00"]


@pytest.mark.parametrize("value,expected,time", [
    (value, expected, time) for value, expected in DATE_FORMS for time in [""] + TIMES
    if not (time.startswith("T") and not value[-1].isdigit())  # an ISO 'T' follows digits only
])
def test_a_time_of_day_is_dropped_and_the_day_kept(value, expected, time):
    assert n.parse_date(value + time) == expected


@pytest.mark.parametrize("value,expected", [
    ("2022/3/28 9:00", dt.date(2022, 3, 28)), ("2022-03-15 8:30:00", dt.date(2022, 3, 15)),
    ("2022/3/1 9:00", dt.date(2022, 3, 1)), ("2022/12/31 23:59", dt.date(2022, 12, 31)),
    ("2022年3月28日9:00", dt.date(2022, 3, 28)), (dt.datetime(2022, 3, 28, 9, 0), dt.date(2022, 3, 28)),
])
def test_the_issue_cases_with_a_one_digit_hour(value, expected):
    assert n.parse_date(value) == expected


@pytest.mark.parametrize("value", ["2022/3/28 25:00x", "2022年13月 9:00", "9:00"])
def test_a_time_does_not_make_a_bad_date_good(value):
    assert n.parse_date(value) is None


@pytest.mark.parametrize("value", ["2022年13月", "2022.02.30", "明年", "3", "2022"])
def test_bad_dates_are_none(value):
    assert n.parse_date(value) is None


@pytest.mark.parametrize("value", [
    "2203-140902-89-01-123456", "2203 140902 89 01 123456", "2203－140902－89－01－123456",
    "22031409028901123456", " 2203-140902-89-01-123456 ", "2203—140902—89—01—123456",
])
def test_codes_written_many_ways_normalise_to_one(value):
    assert n.normalize_code(value) == "2203-140902-89-01-123456"


def test_old_year_first_codes_are_valid():
    assert n.normalize_code("2019-140981-26-03-012345") == "2019-140981-26-03-012345"


@pytest.mark.parametrize("value", ["2203-14090-89-01-12345", "ABCD-140902-89-01-123456", "2213-140902-89-01-123456",
                                   "2203-140902-89-01"])
def test_bad_codes(value):
    assert n.normalize_code(value) is None
    assert n.clean_code(value) is not None  # kept for the rejection message


@pytest.mark.parametrize(
    "alias,unit",
    [
        ("忻府", "忻府区"),
        ("忻府区", "忻府区"),
        ("忻州市忻府区", "忻府区"),
        ("140902", "忻府区"),
        ("经开区", "忻州经济开发区"),
        ("忻州经开区", "忻州经济开发区"),
        ("开发区", "忻州经济开发区"),
        ("五台山", "五台山风景名胜区"),
        ("五台山风景区", "五台山风景名胜区"),
        (" 代 县 ", "代县"),
        ("山西省忻州市原平市", "原平市"),
    ],
)
def test_unit_aliases(alias, unit):
    assert n.resolve_unit(alias) == unit


@pytest.mark.parametrize("value", ["太原市", "阳曲县", "忻州市", "五台山区"])
def test_unknown_units(value):
    assert n.resolve_unit(value) is None


def test_names_normalise_width_space_brackets_and_suffixes():
    a = n.normalize_name("忻州ＡＢ新材料（有限）公司 年产5万吨铝镁合金项目")
    b = n.normalize_name("忻州AB新材料(有限)公司年产5万吨铝镁合金建设项目")
    assert a == b and "项目" not in a
    assert n.normalize_name("忻州AB新材料公司年产6万吨铝镁合金项目") != a


def test_vocab_resolution():
    assert n.resolve_vocab("nature", "技改") == "技术改造"
    assert n.resolve_vocab("status", "竣工/投产") == "竣工投产"
    assert n.resolve_vocab("status", "暂停中") is None
