"""The project model behind the sample data: one coherent world of projects over several years.

Every project has a stable id, a unit, a name unique within its unit (after
``normalize.normalize_name``), an owner, a nature, an industry/cluster, a total investment and a
timeline (reserve entry, signing, approval, start, completion, registration in statistics) with
quarterly spending.  ``memberships`` derives, for a quarter, which projects each of the six lists
holds and the canonical values they report; ``writers``/``layout`` turn those into messy files.

Everything is driven by ``random.Random`` seeded with strings (stable across runs and machines).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from keyprojects import config
from keyprojects.ingest import normalize
from keyprojects.quarters import parse_quarter, quarter_range  # noqa: F401  (re-exported for the generator)
from keyprojects.quarters import quarter_end as _quarter_end_of

# ------------------------------------------------------------------ quarters


def quarter_end(year: int, q: int) -> dt.date:
    return _quarter_end_of(f"{year}Q{q}")


def qindex(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


# ------------------------------------------------------------------ vocabulary of the world

UNIT_WEIGHTS = {
    "忻府区": 1.6, "定襄县": 1.0, "五台县": 0.8, "代县": 0.9, "繁峙县": 0.9, "原平市": 1.5,
    "忻州经济开发区": 1.4, "岢岚县": 0.6, "静乐县": 0.6, "神池县": 0.6, "宁武县": 0.8, "五寨县": 0.6,
    "河曲县": 0.8, "保德县": 0.8, "偏关县": 0.5, "五台山风景名胜区": 0.25,
}

NATURES = (("新建", 45), ("扩建", 15), ("改建", 5), ("迁建", 3), ("技术改造", 32))

# industry -> (weight, is energy, owner words, product templates)
# templates: {n} a capacity number, {p} a product, {place} a place name
INDUSTRIES: dict[str, tuple[float, bool, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # the eight clusters (about 20% of projects together)
    "光伏": (4.0, True, ("新能源", "光伏科技", "光电"), ("{n}MW光伏发电项目", "{n}MW农光互补光伏电站项目",
                                                   "年产{n}GW{p}项目"), ("光伏组件", "光伏支架", "单晶硅片")),
    "煤化工": (2.0, False, ("化工", "煤化工", "能源化工"), ("年产{n}万吨{p}项目",), ("甲醇", "针状焦", "煤焦油深加工", "液化天然气")),
    "高端装备制造": (2.5, False, ("装备制造", "重工", "机械"), ("年产{n}套{p}项目", "{p}生产线项目"),
                   ("风电塔筒", "轨道交通配件", "智能装备", "精密锻件", "法兰")),
    "半导体": (1.2, False, ("半导体", "电子科技", "晶体"), ("年产{n}万片{p}项目",), ("碳化硅衬底", "砷化镓晶片", "LED芯片")),
    "新材料": (4.0, False, ("新材料", "材料科技", "新型材料"), ("年产{n}万吨{p}项目", "年产{n}吨{p}项目"),
             ("碳化硅", "高纯石英砂", "硅基负极材料", "陶瓷纤维", "气凝胶", "石墨烯导热膜", "稀土永磁")),
    "铝镁精深加工": (2.5, False, ("铝业", "镁业", "合金"), ("年产{n}万吨{p}项目",), ("铝镁合金", "铝型材", "镁合金压铸件", "高端铝箔")),
    "煤机装备": (1.8, False, ("煤机", "矿山机械", "液压"), ("年产{n}台{p}项目",), ("液压支架", "刮板输送机", "采煤机", "掘进机")),
    "特色食品": (2.5, False, ("食品", "农业科技", "生物科技"), ("年产{n}吨{p}项目", "年加工{n}吨{p}项目"),
             ("杂粮", "莜麦面粉", "沙棘饮品", "辣椒酱", "牛肉制品", "小米")),
    # not clusters
    "建材": (12.0, False, ("建材", "新型建材", "水泥"), ("年产{n}万吨{p}项目", "年产{n}万立方米{p}项目"),
           ("水泥", "商品混凝土", "新型墙材", "加气混凝土砌块", "石灰", "机制砂")),
    "煤炭": (10.0, False, ("煤业", "煤矿", "矿业"), ("{n}万吨/年矿井{p}项目", "年处理{n}万吨{p}项目"),
           ("智能化改造", "技术改造", "煤矸石综合利用", "洗选")),
    "风电": (7.0, True, ("风电", "新能源", "风力发电"), ("{n}MW风电项目", "{place}{n}MW风电场项目"), ()),
    "电网": (6.0, True, ("供电",), ("{place}{n}kV输变电工程", "{place}{n}kV变电站扩建工程"), ()),
    "储能": (4.0, True, ("储能", "新能源科技"), ("{n}MW/{m}MWh储能电站项目",), ()),
    "冶金铸造": (8.0, False, ("铸造", "冶金", "锻造"), ("年产{n}万吨{p}项目",), ("铸件", "锻件", "球墨铸管", "精密铸钢")),
    "化工": (6.0, False, ("化工", "化学"), ("年产{n}万吨{p}项目",), ("聚合氯化铝", "硫酸", "水处理剂", "工业硅")),
    "医药": (4.0, False, ("药业", "生物医药", "制药"), ("年产{n}吨{p}项目",), ("中药饮片", "原料药", "黄芪提取物")),
    "农副产品加工": (8.0, False, ("农牧", "饲料", "农产品"), ("年产{n}万吨{p}项目",), ("饲料", "玉米淀粉", "有机肥", "秸秆颗粒")),
    "纺织服装": (3.0, False, ("服饰", "纺织"), ("年产{n}万件{p}项目",), ("服装", "羊绒制品", "工装")),
    "再生资源": (5.0, False, ("再生资源", "环保科技", "循环经济"), ("年处理{n}万吨{p}综合利用项目",),
             ("废旧轮胎", "废钢", "粉煤灰", "建筑垃圾")),
}
ENERGY_APPROVERS = {"电网": ("国网忻州供电公司", "国网山西省电力公司忻州供电公司"),
                    "风电": ("省能源局", "山西省能源局"), "光伏": ("省能源局", "忻州市能源局"),
                    "储能": ("忻州市能源局", "省能源局")}

BRANDS = tuple("华鑫 中晋 恒通 鼎盛 宏达 晋源 瑞丰 金泰 昊天 龙腾 兴旺 盛世 汇丰 博远 永昌 泰和 宏图 天润 "
               "嘉禾 新时代 中诚 安泰 晋北 云中 五峰 滹沱 雁门 芦芽 宏盛 晟达 德润 华晟 金诺 亿隆 众和 "
               "国祥 信诚 鸿运 三晋 北辰 朝阳 春晖 东方 丰源 广厦 和顺 华康 佳和 锦华 凯达 利民 美达 "
               "宁远 普惠 启航 荣盛 顺达 天元 万通 祥和 欣荣 耀华 正大 卓越 中科 海容 晋达 禾丰 远航 金阳".split())
PLACES = tuple("东城 西关 南庄 北营 秦城 豆罗 董村 播明 奇村 阳坡 庄磨 兰村 紫岩 解原 高城 合索 三交 "
               "宏道 蒋村 季庄 河边 建安 东冶 茹村 台城 峨口 上馆 聂营 砂河 大营 杏园 繁城 轩岗 崞阳 "
               "东社 长梁沟 神堂堡 龙泉 三岔 娘子神 东寨 杜家村 丰润 鹅城 北鸡 义门 巡镇 楼子营 桥头 "
               "水泉 老营 万家寨 天峰坪 余庄 韩家楼".split())
OWNER_SUFFIXES = ("有限公司", "有限公司", "有限责任公司", "股份有限公司", "集团有限公司")
GRID_OWNER = "国网山西省电力公司忻州供电公司"
APPROVAL_TYPES = (("备案", 70), ("核准", 20), ("审批", 10))
DEPARTMENTS = ("89", "04", "07", "26", "30", "35", "41")
TYPE_DIGITS = {"审批": "01", "核准": "02", "备案": "03"}
PROGRESS = ("前期手续办理中", "土建施工", "主体施工", "设备安装", "设备调试", "厂房建设", "场地平整", "已完工")
PROBLEMS = ("用地指标待落实", "环评审批办理中", "电力接入需协调", "融资困难", "无", "施工许可办理中", "")


def weighted(rng: random.Random, pairs):
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for value, w in pairs:
        x -= w
        if x < 0:
            return value
    return pairs[-1][0]


# ------------------------------------------------------------------ the project


@dataclass
class Project:
    id: str
    unit: str
    name: str
    owner: str
    nature: str
    industry: str
    cluster: str | None
    total: float                      # 万元
    born: dt.date                     # entered the reserve library (planned)
    signed: dt.date | None = None     # investment-promotion signing
    channel: str | None = None        # 'platform' | 'energy' | None (never approved)
    approval: dt.date | None = None
    approval_type: str | None = None
    approver: str | None = None
    code: str | None = None           # canonical 24-char code
    start: dt.date | None = None
    finish: dt.date | None = None
    registered: dt.date | None = None
    spend: dict = field(default_factory=dict)       # (year, q) -> 万元 spent in that quarter
    plan: dict = field(default_factory=dict)        # year -> annual plan 万元
    omitted_dispatch: frozenset = frozenset()       # years in which the unit leaves it out (漏报)
    omitted_reserve: bool = False
    resumed: frozenset = frozenset()                # years reported as 复工 rather than 续建
    contact: str = ""

    def status(self, qend: dt.date) -> str:
        if self.start is None or self.start > qend:
            return "未开工"
        if self.finish is not None and self.finish <= qend:
            return "竣工投产"
        if self.start.year == qend.year:
            return "新开工"
        return "复工" if qend.year in self.resumed else "续建"

    def ytd(self, year: int, q: int) -> float:
        return round(sum(self.spend.get((year, i), 0.0) for i in range(1, q + 1)), 1)

    def is_registered(self, qend: dt.date) -> bool:
        return self.registered is not None and self.registered <= qend


@dataclass
class World:
    seed: int
    first_year: int
    last_year: int
    projects: list[Project]

    def by_id(self) -> dict[str, Project]:
        return {p.id: p for p in self.projects}


def _rand_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _capacity(rng: random.Random) -> int:
    return rng.choice((1, 2, 3, 5, 6, 8, 10, 12, 15, 20, 30, 50, 60, 80, 100, 120, 150, 200, 300, 500))


def _owner(rng: random.Random, industry: str, unit: str) -> str:
    if industry == "电网":
        return GRID_OWNER
    words = INDUSTRIES[industry][2]
    prefix = rng.choice(("忻州", "山西", "忻州市", "山西忻州", "山西省", ""))
    if not prefix or rng.random() < 0.15:
        short = unit[:2] if unit != "忻州经济开发区" else "忻州"
        prefix = (prefix or "山西") + (short if prefix != "山西省" else "")
    return f"{prefix}{rng.choice(BRANDS)}{rng.choice(words)}{rng.choice(OWNER_SUFFIXES)}"


def _product(rng: random.Random, industry: str) -> str:
    _, _, _, templates, products = INDUSTRIES[industry]
    t = rng.choice(templates)
    n = _capacity(rng)
    if industry == "电网":
        n = rng.choice((35, 110, 220))
    return t.format(n=n, m=2 * n, p=rng.choice(products) if products else "", place=rng.choice(PLACES))


def _lognormal_total(rng: random.Random) -> float:
    # median ~5000万元, about 30% at or above 1亿元
    v = rng.lognormvariate(math.log(5000), 1.3)
    if v >= 10000:
        v = round(v, -2)
    elif v >= 1000:
        v = round(v, -1)
    else:
        v = round(v)
    return float(min(max(v, 520.0), 3_000_000.0))


def build_world(seed: int, first_year: int, last_year: int, per_year: int) -> World:
    """Projects born from ``first_year - 3`` to ``last_year``, ``per_year`` of them a year."""
    rng = random.Random(f"keyprojects-world:{seed}:{first_year}:{last_year}:{per_year}")
    units = [u for u in config.units()]
    unit_pairs = [(u, UNIT_WEIGHTS.get(u.name, 1.0)) for u in units]
    industry_pairs = [(k, v[0]) for k, v in INDUSTRIES.items()]
    cluster_names = set(config.clusters().values())
    span_start = dt.date(first_year - 3, 1, 1)
    span_end = dt.date(last_year, 12, 31)
    n_years = last_year - first_year + 4
    total_projects = max(16, per_year * n_years)
    keys_by_unit: dict[str, set[str]] = {u.name: set() for u in units}
    serials: set[int] = set()
    projects: list[Project] = []
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    given = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华红建国志文斌"
    for i in range(total_projects):
        unit = weighted(rng, unit_pairs)
        industry = weighted(rng, industry_pairs)
        is_energy = INDUSTRIES[industry][1]
        for _attempt in range(50):
            owner = _owner(rng, industry, unit.name)
            product = _product(rng, industry)
            name = (owner + product) if industry != "电网" else (GRID_OWNER.replace("国网山西省电力公司", "国网") + product)
            key = normalize.normalize_name(name)
            if key not in keys_by_unit[unit.name]:
                break
        else:  # pragma: no cover - the name space is large
            name = f"{owner}{product[:-2]}{i}项目"
            key = normalize.normalize_name(name)
        keys_by_unit[unit.name].add(key)
        nature = weighted(rng, NATURES)
        if industry in ("风电", "光伏", "储能") and nature == "技术改造":
            nature = "新建"
        total = _lognormal_total(rng)
        small = rng.random() < 0.04
        if small:  # a genuinely small project: below the 500万元 threshold
            total = float(rng.randrange(80, 490, 10))
        born = _rand_date(rng, span_start, span_end)
        p = Project(id=f"P{i + 1:06d}", unit=unit.name, name=name, owner=owner, nature=nature,
                    industry=industry, cluster=industry if industry in cluster_names else None,
                    total=total, born=born)
        p.contact = f"{rng.choice(surnames)}{rng.choice(given)}{rng.choice(given) if rng.random() < 0.5 else ''} " \
                    f"13{rng.randrange(0, 10)}{rng.randrange(10_000_000, 100_000_000)}"
        if rng.random() < 0.6:
            p.signed = born
        p.omitted_reserve = p.signed is not None and rng.random() < 0.03
        if rng.random() < 0.85:
            p.approval = born + dt.timedelta(days=rng.randrange(20, 300))
            if is_energy and rng.random() < 0.8:
                p.channel = "energy"
                p.approver = rng.choice(ENERGY_APPROVERS[industry])
                if rng.random() < 0.2:
                    p.approval_type = "备案" if industry != "电网" else "核准"
            else:
                p.channel = "platform"
                p.approval_type = weighted(rng, APPROVAL_TYPES)
            if p.channel == "platform" or p.approval_type:
                p.code = _code(rng, p, unit, serials)
            if rng.random() < 0.03:
                p.omitted_dispatch = frozenset({p.approval.year})
            if rng.random() < 0.9:
                p.start = p.approval + dt.timedelta(days=rng.randrange(0, 180))
                p.finish = p.start + dt.timedelta(days=rng.randrange(90, 600))
                if rng.random() < 0.9:
                    p.registered = p.start + dt.timedelta(days=rng.randrange(0, 120))
                p.resumed = frozenset(y for y in range(p.start.year + 1, p.finish.year + 1) if rng.random() < 0.1)
                _spend(rng, p)
        projects.append(p)
    return World(seed=seed, first_year=first_year, last_year=last_year, projects=projects)


def _code(rng: random.Random, p: Project, unit, serials: set[int]) -> str:
    division = unit.code or ("140902" if rng.random() < 0.7 else "140900")
    while True:
        serial = rng.randrange(1, 1_000_000)
        if serial not in serials:
            serials.add(serial)
            break
    head = f"{p.approval:%y%m}" if p.approval >= dt.date(2020, 11, 1) else f"{p.approval:%Y}"
    dept = rng.choice(DEPARTMENTS)
    kind = TYPE_DIGITS.get(p.approval_type or "备案", "03")
    code = f"{head}-{division}-{dept}-{kind}-{serial:06d}"
    assert normalize.normalize_code(code) == code, code
    return code


def _spend(rng: random.Random, p: Project) -> None:
    """Spread 85-99% of the total over [start, finish] by quarter; annual plans per year."""
    budget = p.total * rng.uniform(0.85, 0.99)
    days = (p.finish - p.start).days + 1
    weights: dict[tuple[int, int], float] = {}
    day = p.start
    while day <= p.finish:
        y, q = qindex(day)
        qe = quarter_end(y, q)
        stop = min(qe, p.finish)
        weights[(y, q)] = ((stop - day).days + 1) / days * rng.uniform(0.6, 1.4)
        day = qe + dt.timedelta(days=1)
    s = sum(weights.values())
    spent = 0.0
    for key in sorted(weights):
        amount = math.floor(budget * weights[key] / s * 10) / 10  # floor: never exceed the total
        p.spend[key] = amount
        spent += amount
    for y in range(p.start.year, p.finish.year + 1):
        year_spend = sum(v for (yy, _), v in p.spend.items() if yy == y)
        p.plan[y] = float(min(round(year_spend * rng.uniform(0.9, 1.4)), p.total))


# ------------------------------------------------------------------ what each list holds


@dataclass
class Entry:
    """One project as a list reports it at a quarter's end (canonical values)."""
    project: Project
    fields: dict


def memberships(world: World, quarter: str, include_small: bool = True) -> dict[str, list[Entry]]:
    """The six lists of ``quarter`` as canonical entries (before any file messiness or fault)."""
    year, q = parse_quarter(quarter)
    qend = quarter_end(year, q)
    ystart = dt.date(year, 1, 1)
    out: dict[str, list[Entry]] = {name: [] for name in ("reserve", "dispatch", "signed", "approved", "energy", "registered")}
    for p in world.projects:
        big = p.total >= 500
        ok_small = big or include_small
        status = p.status(qend)
        base = {"project_name": p.name, "unit": p.unit, "owner": p.owner, "nature": p.nature,
                "cluster": p.industry, "total_investment": p.total, "contact": p.contact}
        approved = p.approval is not None and p.approval <= qend
        # reserve: signed or planned, not approved yet, dropped after two years of waiting
        if (big and p.born <= qend and not approved and (qend - p.born).days <= 730 and not p.omitted_reserve):
            out["reserve"].append(Entry(p, {**base, "signing_date": p.signed if p.signed and p.signed <= qend else None,
                                            "start_date": _month(p.born + dt.timedelta(days=180)),
                                            "progress": "前期手续办理中"}))
        # dispatch: approved, >= 500, carry-over (not finished before the year) or approved this year
        if (big and approved and year not in p.omitted_dispatch
                and (p.finish is None or p.finish >= ystart)
                and not (p.start is None and p.approval.year < year - 1)):
            started = status != "未开工"
            out["dispatch"].append(Entry(p, {
                **base, "project_code": p.code, "approval_date": p.approval, "approval_type": p.approval_type,
                "annual_plan": p.plan.get(year, 0.0) if started or p.plan.get(year) else None,
                "ytd_investment": p.ytd(year, q) if started else 0.0,
                "start_date": p.start if started else None, "status": status,
                "registered_flag": "是" if p.is_registered(qend) else "否",
                "progress": _progress(p, qend), "problems": PROBLEMS[int(p.id[1:]) % len(PROBLEMS)]}))
        if p.signed is not None and ystart <= p.signed <= qend and ok_small:
            out["signed"].append(Entry(p, {**base, "signing_date": p.signed}))
        if approved and p.approval >= ystart and ok_small:
            if p.channel == "platform":
                out["approved"].append(Entry(p, {**base, "project_code": p.code, "approval_type": p.approval_type,
                                                 "approval_date": p.approval}))
            else:
                out["energy"].append(Entry(p, {**base, "project_code": p.code, "approver": p.approver,
                                               "approval_type": p.approval_type, "approval_date": p.approval}))
        if (big and p.is_registered(qend) and status != "未开工" and (p.finish is None or p.finish >= ystart)):
            out["registered"].append(Entry(p, {
                **base, "project_code": p.code, "ytd_investment": p.ytd(year, q), "registered_date": p.registered,
                "start_date": p.start, "status": status, "registered_flag": "是"}))
    return out


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _progress(p: Project, qend: dt.date) -> str:
    if p.start is None or p.start > qend:
        return "前期手续办理中"
    if p.finish is not None and p.finish <= qend:
        return "已完工"
    frac = (qend - p.start).days / max(1, (p.finish - p.start).days)
    return PROGRESS[1 + min(5, int(frac * 6))]


def project_snapshot(p: Project, year: int, q: int) -> dict:
    """The world's view of a project at a quarter's end (for bulletin truth)."""
    qend = quarter_end(year, q)
    approved = p.approval is not None and p.approval <= qend
    return {
        "id": p.id, "unit": p.unit, "name": p.name, "name_key": normalize.normalize_name(p.name),
        "owner": p.owner, "nature": p.nature, "industry": p.industry, "cluster": p.cluster,
        "total_investment": p.total, "project_code": p.code if approved else None,
        "channel": p.channel if approved else None, "approval_type": p.approval_type if approved else None,
        "approver": p.approver if approved else None,
        "approval_date": p.approval.isoformat() if approved else None,
        "signing_date": p.signed.isoformat() if p.signed and p.signed <= qend else None,
        "start_date": p.start.isoformat() if p.start and p.start <= qend else None,
        "finish_date": p.finish.isoformat() if p.finish and p.finish <= qend else None,
        "registered_date": p.registered.isoformat() if p.is_registered(qend) else None,
        "status": p.status(qend), "ytd_investment": p.ytd(year, q),
        "annual_plan": p.plan.get(year),
        "omitted_from_dispatch": year in p.omitted_dispatch, "omitted_from_reserve": p.omitted_reserve,
    }
