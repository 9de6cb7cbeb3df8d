"""Realistic random values for synthetic registration records.

Every generator returns the canonical value (RECORDS.md) together with the text
as it is written on the page, so truth never depends on the pipeline's own
normalisation code. Values follow the era of the registration: no ID numbers
before 1985, 15-digit IDs only before 2000, offices named as they were then
(人民政府, 人民委员会, 革命委员会, 民政局), legal marriage ages of the time.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from functools import lru_cache

import cn2an
import opencc
from stdnum.cn import ric

from records.model import Kind

from .model import TruthField

# --- offices ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Office:
    """A registry district; ``code`` is its GB/T 2260 code, valid in stdnum for all years."""

    city: str  # 北京市
    district: str  # 朝阳区
    code: str  # 110105
    city_abbr: str  # 京
    district_abbr: str  # 朝


OFFICES: tuple[Office, ...] = (
    Office("北京市", "朝阳区", "110105", "京", "朝"),
    Office("北京市", "东城区", "110101", "京", "东"),
    Office("北京市", "西城区", "110102", "京", "西"),
    Office("北京市", "海淀区", "110108", "京", "海"),
    Office("北京市", "丰台区", "110106", "京", "丰"),
    Office("上海市", "黄浦区", "310101", "沪", "黄"),
    Office("上海市", "徐汇区", "310104", "沪", "徐"),
    Office("上海市", "静安区", "310106", "沪", "静"),
    Office("上海市", "虹口区", "310109", "沪", "虹"),
    Office("天津市", "和平区", "120101", "津", "和"),
    Office("天津市", "南开区", "120104", "津", "南"),
)


def office_name(office: Office, year: int, kind: Kind, rng: random.Random) -> str:
    """The registry office as it was called in ``year`` (canonical, simplified)."""
    base = office.city + office.district
    if year < 1956:
        return base + "人民政府"
    if year < 1968:
        return base + "人民委员会"
    if year < 1980:
        return base + "革命委员会"
    if kind is Kind.ADOPTION:
        return base + "民政局"
    return base + rng.choice(("民政局", "婚姻登记处", "民政局婚姻登记处"))


# --- text forms ---------------------------------------------------------------------------

_S2T = opencc.OpenCC("s2t")
_T2S = opencc.OpenCC("t2s")


@lru_cache(maxsize=4096)
def traditional(text: str) -> str:
    """Traditional form of ``text``, or ``text`` itself if the mapping is not reversible.

    Truth says the canonical value is the simplified text; a traditional form that
    does not map back to it (one-to-many characters) would make truth ambiguous.
    """
    trad = _S2T.convert(text)
    return trad if _T2S.convert(trad) == text else text


_FULLWIDTH = str.maketrans("()0123456789", "（）０１２３４５６７８９")


@dataclass(frozen=True, slots=True)
class Style:
    """How one page's writer writes: script, date format, full-width punctuation."""

    traditional: bool = False
    date_format: str = "ymd_cn"  # ymd_cn | num_cn | dot2 | dot4
    zero: str = "〇"
    minguo: bool = False  # write births before 1949 in 民国 years
    fullwidth: bool = False
    age_format: str = "digits"  # digits | cn | digits_sui

    def text(self, simplified: str) -> str:
        return traditional(simplified) if self.traditional else simplified


def random_style(rng: random.Random, year: int, *, traditional_ok: bool = True) -> Style:
    """A plausible writing style for a page registered in ``year``."""
    if year < 1980:
        fmt = rng.choices(("ymd_cn", "num_cn", "dot2", "dot4"), (4, 4, 1, 1))[0]
    else:
        fmt = rng.choices(("ymd_cn", "num_cn", "dot2", "dot4"), (5, 1, 1, 3))[0]
    trad = traditional_ok and year < 1966 and rng.random() < 0.6
    return Style(
        traditional=trad, date_format=fmt, zero=rng.choice("〇零"),
        minguo=year < 1975 and rng.random() < 0.4, fullwidth=rng.random() < 0.4,
        age_format=rng.choice(("digits", "cn", "digits_sui")),
    )


# --- dates, ages, numbers --------------------------------------------------------------------

_CN_DIGITS = "〇一二三四五六七八九"


def _cn_year(year: int, zero: str) -> str:
    return "".join(zero if c == "0" else _CN_DIGITS[int(c)] for c in str(year))


def _cn_num(n: int) -> str:
    return str(cn2an.an2cn(n))


def write_date(day: dt.date, style: Style, *, precision: str = "day") -> TruthField:
    """Write ``day`` as a clerk would; precision ``month`` drops the day (出生年月)."""
    canonical = day.isoformat() if precision == "day" else day.strftime("%Y-%m")
    parts_m = [day.month] if precision == "month" else [day.month, day.day]
    if style.minguo and day.year < 1949 and style.date_format in ("ymd_cn", "num_cn"):
        n = day.year - 1911
        if style.date_format == "num_cn":
            year_txt = "元" if n == 1 else _cn_num(n)
            tail = "".join(f"{_cn_num(v)}{u}" for v, u in zip(parts_m, "月日", strict=False))
        else:
            year_txt = str(n)
            tail = "".join(f"{v}{u}" for v, u in zip(parts_m, "月日", strict=False))
        return TruthField(canonical, style.text(f"民国{year_txt}年{tail}"))
    if style.date_format == "num_cn":
        tail = "".join(f"{_cn_num(v)}{u}" for v, u in zip(parts_m, "月日", strict=False))
        return TruthField(canonical, f"{_cn_year(day.year, style.zero)}年{tail}")
    if style.date_format in ("dot2", "dot4") and day.year < 2000:
        year_txt = str(day.year)[2:] if style.date_format == "dot2" else str(day.year)
        return TruthField(canonical, ".".join([year_txt, *map(str, parts_m)]))
    tail = "".join(f"{v}{u}" for v, u in zip(parts_m, "月日", strict=False))
    return TruthField(canonical, f"{day.year}年{tail}")


def write_age(age: int, style: Style) -> TruthField:
    """Ages as ledgers write them: 25, 二十五 or 25岁."""
    if style.age_format == "cn":
        return TruthField(age, _cn_num(age))
    if style.age_format == "digits_sui":
        return TruthField(age, style.text(f"{age}岁"))
    return TruthField(age, str(age))


def write_text(text: str, style: Style) -> TruthField:
    """Names, addresses and other free text: canonical simplified, written per style."""
    return TruthField(text, style.text(text))


def write_gender(gender: str, style: Style) -> TruthField:
    return TruthField(gender, "男" if gender == "M" else "女")


def age_on(birth: dt.date, day: dt.date) -> int:
    """Full years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def make_id_number(rng: random.Random, code: str, birth: dt.date, gender: str,
                   digits: int = 18) -> str:
    """A citizen ID whose birth date, gender digit and (18-digit) check digit agree."""
    seq = rng.randint(0, 99) * 10 + rng.choice((1, 3, 5, 7, 9) if gender == "M" else
                                                (0, 2, 4, 6, 8))
    if digits == 15:
        return f"{code}{birth:%y%m%d}{seq:03d}"
    body = f"{code}{birth:%Y%m%d}{seq:03d}"
    number = body + ric.calc_check_digit(body + "0")
    ric.validate(number)  # fail loudly rather than write wrong truth
    return number


def id_digits_for(rng: random.Random, reg_year: int) -> int | None:
    """ID length used on a form of ``reg_year``; ``None`` before IDs were issued (1985)."""
    if reg_year < 1985:
        return None
    if reg_year < 2000:
        return 15 if rng.random() < 0.5 else 18
    return 18


def certificate_no(rng: random.Random, year: int, office: Office, kind: Kind,
                   serial: int, style: Style) -> TruthField:
    """A certificate number in the fashion of its era, e.g. ``(1972)京朝婚字第0123号``."""
    word = {Kind.MARRIAGE: "婚", Kind.DIVORCE: "离", Kind.ADOPTION: "收"}[kind]
    if year >= 2004 and kind is not Kind.ADOPTION:
        canonical = f"{'J' if kind is Kind.MARRIAGE else 'L'}{office.code}-{year}-{serial:06d}"
        return TruthField(canonical, canonical)
    if year < 1956:
        canonical = f"{rng.choice(('', office.city_abbr))}{word}字第{serial:03d}号"
    else:
        prefix = office.city_abbr + office.district_abbr
        variant = rng.randrange(3)
        if variant == 0:
            canonical = f"({year}){prefix}{word}字第{serial:04d}号"
        elif variant == 1:
            canonical = f"{prefix}{word}字第{serial:04d}号"
        else:
            canonical = f"{office.district_abbr}{word}字第{serial}号"
    written = canonical.translate(_FULLWIDTH) if style.fullwidth else canonical
    return TruthField(canonical, style.text(written) if style.traditional else written)


# --- people -------------------------------------------------------------------------------

SURNAMES: tuple[str, ...] = (
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高",
    "林", "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧",
    "程", "曹", "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾",
    "丁", "魏", "薛", "叶", "阎", "余", "潘", "杜", "戴", "夏", "钟", "汪", "田", "任", "姜",
    "范", "方", "石", "姚", "谭", "廖", "邹", "熊", "金", "陆", "郝", "孔", "白", "崔", "康",
    "毛", "邱", "秦", "江", "史", "顾", "侯", "邵", "孟", "龙", "万", "段", "钱", "汤", "尹",
    "单", "仇", "解", "区", "欧阳", "司马", "诸葛",
)
_SURNAME_WEIGHTS: tuple[float, ...] = tuple(
    8.0 if i < 10 else 3.0 if i < 40 else 1.0 if s not in ("欧阳", "司马", "诸葛") else 0.3
    for i, s in enumerate(SURNAMES)
)
MALE_GIVEN: tuple[str, ...] = (
    "建国", "建华", "国强", "志强", "卫东", "红军", "向东", "学军", "德明", "国庆", "振华",
    "海", "涛", "勇", "军", "伟", "强", "磊", "斌", "刚", "明", "平", "文斌", "永强", "建军",
    "志刚", "保国", "福生", "长春", "立新", "跃进", "宝山", "金龙", "春生", "玉林", "胜利",
    "光明", "爱民", "树林", "俊杰", "浩", "鹏", "宇", "晓东", "继红", "德华", "庆祥", "兴旺",
)
FEMALE_GIVEN: tuple[str, ...] = (
    "秀英", "桂英", "淑珍", "玉兰", "桂兰", "秀兰", "凤英", "丽华", "红梅", "卫红", "爱华",
    "秀珍", "丽", "娟", "敏", "静", "燕", "艳", "霞", "芳", "英", "萍", "玲", "淑华", "春梅",
    "玉珍", "素芬", "翠兰", "美兰", "红霞", "建英", "亚琴", "晓燕", "海燕", "丽娟", "雪梅",
    "金凤", "月娥", "淑英", "桂芳", "小红", "丽萍", "慧", "琳", "洁", "婷", "颖", "秀云",
)
STREETS: tuple[str, ...] = (
    "人民路", "解放路", "建设路", "中山路", "和平街", "胜利街", "新华路", "东风路", "红旗路",
    "朝阳路", "光明街", "团结胡同", "前进路", "幸福街", "工农路", "南京路", "复兴路", "北新街",
    "东四条", "西大街", "青年路", "长安街", "友谊路", "文化街",
)
NATIVE_PLACES: tuple[str, ...] = (
    "河北省保定市", "山东济南", "浙江省宁波市", "江苏南通", "河南省开封市", "湖北武汉",
    "辽宁沈阳", "广东梅县", "四川成都", "安徽省合肥市", "山西太原", "湖南长沙", "河北沧州",
    "山东省烟台市", "江苏省无锡市", "北京", "天津", "上海", "浙江绍兴", "福建福州",
)
ETHNICITIES: tuple[str, ...] = ("汉族", "回族", "满族", "蒙古族", "朝鲜族", "壮族", "苗族",
                                "土家族")
_ETHNICITY_WEIGHTS: tuple[float, ...] = (88, 4, 3, 1.5, 1, 1, 0.8, 0.7)
OCCUPATIONS_EARLY: tuple[str, ...] = (
    "工人", "农民", "社员", "干部", "教师", "售货员", "解放军战士", "纺织工人", "炊事员",
    "第二棉纺厂工人", "机床厂工人", "小学教员", "供销社职工", "学徒", "医生", "护士",
)
OCCUPATIONS_LATE: tuple[str, ...] = (
    "工人", "职员", "个体", "会计", "工程师", "医生", "护士", "司机", "教师", "干部",
    "技术员", "销售员", "无业", "公司职员", "自由职业", "厨师", "农民", "研究员",
)


@dataclass(frozen=True, slots=True)
class Person:
    """One party of a record, canonical values only."""

    name: str
    gender: str  # "M" | "F"
    birth: dt.date
    ethnicity: str
    native_place: str
    address: str
    occupation: str
    id_number: str | None


def random_name(rng: random.Random, gender: str) -> str:
    surname = rng.choices(SURNAMES, _SURNAME_WEIGHTS)[0]
    return surname + rng.choice(MALE_GIVEN if gender == "M" else FEMALE_GIVEN)


def random_address(rng: random.Random, office: Office, year: int) -> str:
    street = rng.choice(STREETS)
    head = rng.choice((office.city + office.district, office.district))
    if year >= 1980 and rng.random() < 0.5:
        return f"{head}{street}{rng.randint(1, 30)}号楼{rng.randint(1, 6)}0{rng.randint(1, 4)}"
    return f"{head}{street}{rng.randint(1, 199)}号"


def random_person(rng: random.Random, gender: str, birth: dt.date, office: Office,
                  reg_year: int, id_digits: int | None) -> Person:
    """A person registered at ``office`` in ``reg_year``."""
    occupations = OCCUPATIONS_EARLY if reg_year < 1985 else OCCUPATIONS_LATE
    id_number = (make_id_number(rng, office.code, birth, gender, id_digits)
                 if id_digits else None)
    return Person(
        name=random_name(rng, gender), gender=gender, birth=birth,
        ethnicity=rng.choices(ETHNICITIES, _ETHNICITY_WEIGHTS)[0],
        native_place=rng.choice(NATIVE_PLACES), address=random_address(rng, office, reg_year),
        occupation=rng.choice(occupations), id_number=id_number,
    )


def legal_min_age(gender: str, reg_year: int) -> int:
    """Minimum marriage age: 1950 law 20/18, 1980 law (from 1981) 22/20."""
    if reg_year >= 1981:
        return 22 if gender == "M" else 20
    return 20 if gender == "M" else 18


def birth_for_age(rng: random.Random, reg: dt.date, lo: int, hi: int) -> dt.date:
    """A birth date that makes the person between ``lo`` and ``hi`` years old on ``reg``."""
    age = rng.randint(lo, hi)
    latest = dt.date(reg.year - age, reg.month, min(reg.day, 28))
    return latest - dt.timedelta(days=rng.randint(0, 360))


@dataclass(frozen=True, slots=True)
class Couple:
    """Both parties of a marriage or divorce registration."""

    male: Person
    female: Person
    reg_date: dt.date


def random_couple(rng: random.Random, reg: dt.date, office: Office, kind: Kind,
                  *, with_ids: bool = True) -> Couple:
    """A legally consistent couple registering on ``reg``."""
    id_digits = id_digits_for(rng, reg.year) if with_ids else None
    people = []
    for gender in ("M", "F"):
        lo = legal_min_age(gender, reg.year)
        lo, hi = (lo, lo + 12) if kind is Kind.MARRIAGE else (lo + 3, lo + 30)
        birth = birth_for_age(rng, reg, lo, hi)
        people.append(random_person(rng, gender, birth, office, reg.year, id_digits))
    return Couple(people[0], people[1], reg)


@dataclass(frozen=True, slots=True)
class Adoption:
    """An adoption registration: adopter(s), adoptee and who gave the child up."""

    adopter: Person
    spouse: Person | None
    adoptee_name: str
    adoptee_gender: str
    adoptee_birth: dt.date
    relinquisher: str
    reg_date: dt.date


def random_adoption(rng: random.Random, reg: dt.date, office: Office) -> Adoption:
    gender = rng.choice("MF")
    adopter = random_person(rng, gender, birth_for_age(rng, reg, 30, 50), office,
                            reg.year, None)
    spouse = None
    if rng.random() < 0.75:
        other = "F" if gender == "M" else "M"
        spouse = random_person(rng, other, birth_for_age(rng, reg, 28, 50), office,
                               reg.year, None)
    child_gender = rng.choice("MF")
    child_birth = reg - dt.timedelta(days=rng.randint(60, 3650))
    if rng.random() < 0.5:
        relinquisher = office.city + rng.choice(("儿童福利院", "社会福利院"))
    else:
        relinquisher = random_name(rng, rng.choice("MF"))
    surname = adopter.name[:2] if adopter.name[:2] in SURNAMES else adopter.name[0]
    child_name = surname + rng.choice(MALE_GIVEN if child_gender == "M" else FEMALE_GIVEN)
    return Adoption(adopter, spouse, child_name, child_gender, child_birth, relinquisher, reg)


# --- books --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BookSpec:
    """What one bound volume is about: years, registry district, kind of registration."""

    year_from: int
    year_to: int
    office: Office
    kind: Kind = Kind.MARRIAGE
    volume: int = 1


class BookCursor:
    """Running state of a book while its pages are drawn.

    Mutable on purpose: certificate serials and registration dates advance through
    a real book, so consecutive records must share one counter.
    """

    def __init__(self, spec: BookSpec, rng: random.Random) -> None:
        self.spec = spec
        self._serial = rng.randint(1, 400)
        self._day = dt.date(spec.year_from, 1, 1) + dt.timedelta(days=rng.randint(0, 40))
        self._end = dt.date(spec.year_to, 12, 31)

    def next_serial(self) -> int:
        self._serial += 1
        return self._serial

    def next_date(self, rng: random.Random) -> dt.date:
        """Registration dates ascend through the book and stay inside its year range."""
        step = rng.randint(0, 4) if self.spec.year_from == self.spec.year_to else \
            rng.randint(0, 12)
        self._day = min(self._day + dt.timedelta(days=step), self._end)
        return self._day


def random_book(rng: random.Random, *, year: int | None = None,
                kind: Kind | None = None) -> BookSpec:
    """A book of one or two years at a random district."""
    year = year if year is not None else rng.randint(1957, 2008)
    span = rng.choice((0, 0, 1))
    kind = kind if kind is not None else rng.choices((Kind.MARRIAGE, Kind.DIVORCE), (4, 1))[0]
    return BookSpec(year, min(year + span, 2010), rng.choice(OFFICES), kind,
                    rng.randint(1, 12))
