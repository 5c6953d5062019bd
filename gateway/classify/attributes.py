"""Attribute detectors: names, dates of birth, postal addresses, health, religion, biometrics and credentials.

Two kinds of function per detector. ``is_<kind>(value)`` judges a whole value that the scanner found under a key of
that kind (``姓名``, ``dob``, ``home_address``, ``diagnosis``, ``宗教信仰``, ``face_image``, ``password``): the key is
most of the evidence, so the check is about shape and plausibility. ``find_<kinds>(text)`` looks inside free text
under any key and returns ``(start, end)`` spans; without the key it needs a cue (``姓名:``, ``born on``,
``诊断``) or a shape that stands on its own (a PEM private key block, a lexicon term), and prefers precision.

Detector ids (a contract): ``person_name``, ``date_of_birth``, ``postal_address``, ``health``, ``religion``,
``biometric``, ``credential``. Every function is pure and never raises on a ``str``. Regular expressions are
precompiled, use bounded repetitions only (no nested unbounded quantifiers), and run only after cheap ``in``
checks say they might match.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from datetime import date

from gateway.classify.spans import overlap_test

__all__ = [
    "CHINESE_SURNAMES",
    "COMPOUND_SURNAMES",
    "HEALTH_TERMS",
    "RELIGION_TERMS",
    "find_chinese_names",
    "find_cued_latin_names",
    "find_dates_of_birth",
    "find_health_terms",
    "find_postal_addresses",
    "find_religion_terms",
    "find_secrets",
    "is_biometric",
    "is_credential",
    "is_date_of_birth",
    "is_health",
    "is_health_under_key",
    "is_person_name",
    "is_postal_address",
    "is_religion",
    "looks_like_face_image",
]

Span = tuple[int, int]

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"  # CJK Unified Ideographs and Extension A (rare name characters)
_HAN_CHARS = re.compile(f"[{_HAN}]+")


def _is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def _ascii_word_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


def _word_bounded(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is not part of a longer ASCII word (CJK neighbours are boundaries)."""
    return (start == 0 or not _ascii_word_char(text[start - 1])) and (
        end == len(text) or not _ascii_word_char(text[end])
    )


def _split_words(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of a word list written as one string."""
    return tuple(text.split())


def _trie(terms: Iterable[str]) -> str:
    """A regex matching any of ``terms`` (longest first), factored by common prefixes so that the engine tries one
    branch per character instead of one per term."""
    root: dict[str, dict[str, object]] = {}
    for term in terms:
        node = root
        for char in term:
            node = node.setdefault(char, {})  # type: ignore[assignment]
        node[""] = {}

    def build(node: dict[str, dict[str, object]]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]  # type: ignore[arg-type]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" not in node:
            return body
        return f"(?:{body})?" if len(branches) == 1 else body + "?"

    return build(root)


def _alternation(terms: Iterable[str]) -> str:
    """One regex alternative per term, longest first, so that the longest term at a position wins."""
    return "|".join(re.escape(t) for t in sorted(set(terms), key=lambda t: (-len(t), t)))


# === person_name ===============================================================================================

# The 100 most frequent surnames of the 2020 national household-registration statistics (公安部户政管理研究中心,
# 《二〇二〇年全国姓名报告》, published 2021-02), then further common surnames of the Baijiaxing (百家姓) and the
# 2019 ranking down to about rank 250. Characters that are far more often a given-name or an ordinary word than a
# surname (明 时 国 区 ...) are left out: they would make "X先生"/"患者X" spans wrong more often than right.
_SURNAMES_TOP100 = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟"
    "姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤"
)
_SURNAMES_MORE = (
    "康易乔赖文施洪庞樊兰殷牛葛季安齐伍温申聂柴章单包倪左俞鲁邢耿梅詹关焦祝喻宁尚辛颜岳柳艾欧苗牟纪鲍霍蓝阮"
    "翟谷卜成甘刁滕游车符房裴路舒甄祁凌宫尤冉盛桂靳闵涂廉晏褚骆蔺农蒲佟屈戚景管栾解应邝卞云麦丘危阎华全邬饶"
    "穆萧童池匡冷厉卓巫党练简连毕郁乐钮仇蒙巩边商柏鞠隋储窦揭郦昌茅芦相钭滑禹阳郎晋"
)
# Traditional forms, as written in Hong Kong, Macao, Taiwan and older Singapore records.
_SURNAMES_TRADITIONAL = "陳黃張劉楊趙吳鄭謝許鄧馮蕭葉蘇呂盧鍾譚陸賴羅孫馬錢嚴龔顏鄒賈韋閻蔣鄺龍歐劉湯溫鄔廖"
COMPOUND_SURNAMES: frozenset[str] = frozenset(
    _split_words(
        "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 独孤 南宫 西门 端木 澹台 钟离"
        " 万俟 闻人 申屠 太史 呼延 公冶 濮阳 淳于 单于 司空 东郭 拓跋 百里 左丘 第五 赫连 梁丘 归海 羊舌 微生 谷梁"
        " 段干 歐陽 司馬 諸葛 長孫 鍾離 東方"
    )
)
"""Compound (two-character) surnames of the Baijiaxing still in use, simplified and traditional."""
CHINESE_SURNAMES: frozenset[str] = (
    frozenset(_SURNAMES_TOP100 + _SURNAMES_MORE + _SURNAMES_TRADITIONAL) | COMPOUND_SURNAMES
)
"""Common single-character surnames (see the sources above) and the compound ones."""
_SINGLE_SURNAMES = frozenset(s for s in CHINESE_SURNAMES if len(s) == 1)

# Han strings that start with a surname character but are words, places or organisations, not people.
_HAN_NON_NAMES = frozenset(
    _split_words(
        "未知 不详 匿名 测试 高兴 成绩 管理员 用户 客户 本人 家属 其他 暂无 系统 高级 高新 高速 高端 高血压 高血糖 黄金"
        " 金融"
        " 金额 方案 方法 方式 方面 成功 成本 成员 成都 程序 周末 周年 周期 周一 周二 周三 周四 周五 周六 周日 万元"
        " 于是 向前 江苏 江西 安全 安徽 安装 安排 宁波 宁夏 温州 温度 常州 常用 常见 常规 华为 华东 华南 华北 华西"
        " 华中 关于 关键 关系 管理 景区 云南 云端 余额 全部 全国 全面 包括 包装 单位 单价 单号 车辆 车型 车牌 路线"
        " 路由 房间 房屋 房产 石油 林业 马上 田园 白色 黄色 金色 蓝色 史上 苏州 杭州 广州 郑州 徐州 湖州 台州 惠州"
        " 贵州 梅州 常熟 昆山 吴江 吴中 相城 姑苏 张家港 太仓 新加坡 香港 澳门 台湾 高铁 车站 龙华 华人 文件 文档"
        " 文本 文化 项目 应用 应该 解决 解释 商品 商场 商务 商城 乐观 乐园 连接 连续 简单 简介 毕业 章节 包邮 陆续"
        " 武汉 杜绝 任务 任何 任意 于此"
    )
)
_HAN_NON_NAME_ENDINGS = (
    "部", "处", "局", "厅", "院", "司", "所", "组", "队", "站", "馆", "店", "厂", "社", "委", "办", "中心", "公司",
    "集团", "银行", "医院", "学校", "大学", "小组", "有限", "科技", "市", "省", "县", "区", "镇", "乡", "村", "港",
    "路", "街", "号", "室", "楼", "园", "病", "症", "癌", "炎", "药", "茶", "酒", "机", "器", "卡", "费", "款", "单",
)  # fmt: skip
# After a name inside a sentence: characters that end it (患者李娜今天入院, 联系人张伟电话...).
_NAME_STOP = frozenset(
    "的是在于因和与及等今昨已将被为了到从向对称入出来去也都就又同年日住男女性岁身电手邮号现曾未请需要所把给让叫诊患经说"
)
_MIDDLE_DOTS = "·•・‧．"
_TRANSLITERATED = re.compile(f"[{_HAN}]{{1,10}}(?:[{_MIDDLE_DOTS}][{_HAN}]{{1,10}}){{1,3}}")

# Latin-script names: words of letters with inner apostrophes or hyphens; honorifics and the particles of Malay,
# Indian, Dutch, Spanish ... names are allowed in lower case and not counted as words.
_NAME_PARTICLES = frozenset(
    _split_words(
        "bin binti bte bt binte b. s/o d/o a/l a/p van von der den de del della da das dos du di la le al el y ten"
        " ter st. st"
    )
)
_NAME_TITLES = frozenset(
    _split_words(
        "mr mr. mrs mrs. ms ms. miss mdm mdm. madam dr dr. prof prof. sir dame dato datuk dato' puan encik haji hajjah"
    )
)
_NON_NAME_WORDS = frozenset(
    _split_words(
        "unknown test testing tester admin administrator null none nil na n.a. user guest anonymous anon customer"
        " client default sample example demo string undefined true false yes no other others system root support"
        " service services sales marketing finance accounting accounts hr human resources it engineering operations"
        " department dept team group company corporation corp inc inc. ltd ltd. llc limited pte plc gmbh co co."
        " holdings bank hospital clinic university college school institute centre center office store shop"
        " restaurant hotel product item order invoice account manager director staff employee officer committee"
        " board government ministry agency authority association foundation trust fund club project new free sale"
        " premium standard basic pro plus mini total amount price status pending active inactive approved rejected"
        " male female singapore china malaysia indonesia suzhou shanghai beijing asia europe america street road"
        " avenue the and of for to from with please hello dear thanks"
    )
)
_LATIN_WORD = re.compile(r"[^\W\d_]{1,30}(?:['’\-][^\W\d_]{1,30}){0,3}\.?")
_INITIAL = re.compile(r"[A-Z]\.(?:[A-Z]\.){0,2}|[A-Z]")
_MAX_NAME_LENGTH = 60
_MAX_NAME_WORDS = 5


def _chinese_name_length(text: str, start: int, limit: int) -> int:
    """Length of the surname at text[start:] (2 for compound, 1 for single, 0 for none), looking at most ``limit``."""
    if limit >= 2 and text[start : start + 2] in COMPOUND_SURNAMES:
        return 2
    if limit >= 1 and text[start] in _SINGLE_SURNAMES:
        return 1
    return 0


def _is_chinese_name(value: str) -> bool:
    n = len(value)
    if _TRANSLITERATED.fullmatch(value):
        return n <= 30
    if not 2 <= n <= 4 or not _HAN_CHARS.fullmatch(value):
        return False
    if _chinese_name_length(value, 0, n - 1) == 0 or value.endswith(_HAN_NON_NAME_ENDINGS):
        return False
    return not _starts_non_name(value, 0)


def _starts_non_name(text: str, start: int) -> bool:
    """Whether a word of :data:`_HAN_NON_NAMES` (2 or 3 characters) starts at ``start``."""
    return text[start : start + 2] in _HAN_NON_NAMES or text[start : start + 3] in _HAN_NON_NAMES


def _is_latin_name(value: str) -> bool:
    tokens = value.replace(",", " ").split()
    words = 0
    letters = 0
    for token in tokens:
        folded = token.casefold()
        if folded in _NAME_PARTICLES or folded in _NAME_TITLES:
            continue
        if folded in _NON_NAME_WORDS or folded.rstrip(".") in _NON_NAME_WORDS:
            return False
        if _INITIAL.fullmatch(token):
            words += 1
            continue
        if not _LATIN_WORD.fullmatch(token) or not token[0].isupper():
            return False
        words += 1
        letters += len(token)
    if not 1 <= words <= _MAX_NAME_WORDS or letters < 2:
        return False
    # A lone all-capitals word of three letters or fewer is an acronym (HR, CEO, USA), not a name.
    return not (words == 1 and len(tokens) == 1 and len(value) <= 3 and value.isupper())


def is_person_name(value: str) -> bool:
    """Whether a whole value (under a name key) is a person's name.

    Chinese: 2-4 Han characters starting with a common surname (compound ones included), or a transliterated name
    with middle dots (阿卜杜勒·艾尼). Latin script: 1-5 capitalised or all-capital words of letters, apostrophes and
    hyphens, initials, honorifics and name particles (``Tan Ah Kow``, ``Nur Aisyah binti Ahmad``, ``Rajesh s/o
    Kumar``, ``O'Brien``, ``ZHANG Wei``). Both scripts together (``Tan Ah Kow 陈亚九``) when each part is a name.
    Digits, ``@``, placeholders (``N/A``, ``unknown``, ``admin``) and organisation words are rejected.
    """
    value = value.strip()
    if not value or len(value) > _MAX_NAME_LENGTH or "@" in value or any(c.isdigit() for c in value):
        return False
    han = [token for token in value.split() if _HAN_CHARS.match(token)]
    if not han:
        return _is_latin_name(value)
    if len(han) == 1 and value == han[0]:
        return _is_chinese_name(value)
    if len(han) != 1 or not _is_chinese_name(han[0]):
        return False
    rest = value.replace(han[0], " ", 1)
    return _is_latin_name(rest)


# Cue words before a name in free text (姓名:张三, 联系人张伟, 患者李娜, 负责人是王五).
_NAME_CUE = re.compile(
    "(?:"
    + _alternation(
        _split_words(
            "姓名 联系人 患者 病人 员工 客户 收件人 收货人 申请人 持卡人 投保人 被保险人 乘客 法定代表人 法人代表"
            " 经办人 负责人 监护人 学生 住户 业主"
        )
    )
    + ")[ \t]{0,2}(?:[:：][ \t]{0,2}|为|是)?"
)
_HONORIFICS = ("先生", "女士", "小姐")


def _given_name_end(text: str, start: int, most: int) -> int:
    """End of a given name of 1..``most`` Han characters at ``start`` (stopping at a stop character); ``start``
    when there is none."""
    end = start
    limit = min(len(text), start + most)
    while end < limit and _is_han(text[end]) and text[end] not in _NAME_STOP and not text.startswith(_HONORIFICS, end):
        end += 1
    return end


def _name_after_cue(text: str, start: int) -> int:
    """End of a Chinese name at ``start`` (surname plus 1-2 given characters), or -1."""
    surname = _chinese_name_length(text, start, len(text) - start - 1)
    if surname == 0:
        return -1
    end = _given_name_end(text, start + surname, 2)
    if end == start + surname:
        return -1
    if _starts_non_name(text, start) or _HEALTH_LEXICON.starts_term(text, start):  # 患者高血压: no name
        return -1
    return end


def _name_before_honorific(text: str, at: int) -> int:
    """Start of the name just before the honorific at ``at`` (王先生, 张伟女士), or -1.

    Of the surname positions 1-4 characters back, one with a compound surname wins (欧阳娜娜), then the longest
    one that starts at a non-Han boundary (李小龙先生); inside running Han text the shortest (感谢王先生: 王, not 谢王).
    """
    candidates = []
    for length in (1, 2, 3, 4):
        start = at - length
        if start < 0 or not _is_han(text[start]):
            break
        surname = _chinese_name_length(text, start, length)
        given = text[start + surname : at]
        if surname and len(given) <= 2 and _NAME_STOP.isdisjoint(given) and text[start:at] not in _HAN_NON_NAMES:
            candidates.append(start)
    if not candidates:
        return -1
    compound = [s for s in candidates if text[s : s + 2] in COMPOUND_SURNAMES]
    if compound:
        return compound[0]  # 联系欧阳娜娜女士: a compound surname is distinctive enough to win
    bounded = [s for s in candidates if s == 0 or not _is_han(text[s - 1])]
    return min(bounded) if bounded else max(candidates)


# A Latin-script name in free text only right after a label that says what follows is a person's name.
_LATIN_NAME_CUED = re.compile(
    r"(?<![A-Za-z])(?i:contact person|contact name|customer name|full name|name|patient|employee|cardholder)"
    r"[ \t]{0,2}[:\uff1a][ \t]{0,2}"
    r"(?P<name>[A-Z][a-z'\u2019\-]+(?: (?:[A-Z][a-z'\u2019\-]+|[A-Z]{2,}|bin|binti|s/o|d/o|[A-Z]\.)){1,4})"
)


_LATIN_NAME_CUE_WORDS = ("ame", "ontact", "atient", "mployee", "river", "older")  # the cues, first letter cut


def find_cued_latin_names(text: str) -> list[Span]:
    """Latin-script names after a label in free text: ``Contact person: Matthew Walker``, ``Name: Ng Jun Jun``."""
    if not any(word in text for word in _LATIN_NAME_CUE_WORDS):
        return []
    return [
        m.span("name")
        for m in _LATIN_NAME_CUED.finditer(text)
        if _is_latin_name(m.group("name"))
        and not text[max(0, m.start() - 12) : m.start()].lower().rstrip().endswith(_NOT_PERSON_NAME_WORDS)
    ]


# "Company name: Acme", "File name: ...": the label names a thing's name, not a person's.
_NOT_PERSON_NAME_WORDS = ("company", "product", "file", "user", "host", "device", "brand", "project", "app")


def find_chinese_names(text: str) -> list[Span]:
    """Chinese names in free text, only after an explicit cue: a cue word before (``姓名:张三``, ``联系人张伟``,
    ``患者李娜``) or an honorific after (``王先生``, ``张伟女士``: the span includes the honorific)."""
    if len(text) < 2 or text.isascii():
        return []
    spans: list[Span] = []
    for cue in _NAME_CUE.finditer(text):  # the cue pattern opens with its first characters: a C-speed skip
        start = cue.end()
        end = _name_after_cue(text, start) if start < len(text) else -1
        if end > 0:
            spans.append((start, end))
    for honorific in _HONORIFICS:
        at = text.find(honorific)
        while at >= 0:
            start = _name_before_honorific(text, at)
            if start >= 0:
                spans.append((start, at + len(honorific)))
            at = text.find(honorific, at + 2)
    return _merge(spans)


def _merge(spans: list[Span]) -> list[Span]:
    """Spans sorted by start, overlapping ones merged."""
    if len(spans) < 2:
        return spans
    spans.sort()
    merged = [spans[0]]
    for start, end in spans[1:]:
        last_start, last_end = merged[-1]
        if start < last_end:
            merged[-1] = (last_start, max(last_end, end))
        else:
            merged.append((start, end))
    return merged


# === date_of_birth =============================================================================================

_YEARS = range(1900, 2100)  # no clock here: any year of the two centuries a living person's birth falls in
_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_MONTH_NAME = "(?:" + _alternation(_MONTHS) + ")"
_YEAR = "(?:19|20)[0-9]{2}"
_DAY_SUFFIX = "(?:st|nd|rd|th)?"
# Midnight only: a birth date stored as a datetime has no time of day; any other time is a timestamp.
_MIDNIGHT = r"(?:[T ]00:00(?::00(?:\.0{1,9})?)?(?:Z|[+\-][0-9]{2}:?[0-9]{2})?)?"
_DATE_FORMS = (
    rf"(?P<ymd_y>{_YEAR})(?P<ymd_s>[\-/.])(?P<ymd_m>[0-9]{{1,2}})(?P=ymd_s)(?P<ymd_d>[0-9]{{1,2}}){_MIDNIGHT}",
    r"(?P<cmp_y>(?:19|20)[0-9]{2})(?P<cmp_m>0[1-9]|1[0-2])(?P<cmp_d>[0-3][0-9])",
    rf"(?P<dmy_a>[0-9]{{1,2}})(?P<dmy_s>[\-/.])(?P<dmy_b>[0-9]{{1,2}})(?P=dmy_s)(?P<dmy_y>{_YEAR})",
    rf"(?P<zh_y>{_YEAR}) ?年 ?(?P<zh_m>[0-9]{{1,2}}) ?月 ?(?P<zh_d>[0-9]{{1,2}}) ?[日号]?",
    rf"(?P<dmon_d>[0-9]{{1,2}}){_DAY_SUFFIX}[ \-/]{{1,2}}(?P<dmon_m>{_MONTH_NAME})\.?,?[ \-/]{{1,2}}"
    rf"(?P<dmon_y>{_YEAR})",
    rf"(?P<mon_m>{_MONTH_NAME})\.? {{1,2}}(?P<mon_d>[0-9]{{1,2}}){_DAY_SUFFIX},? {{1,2}}(?P<mon_y>{_YEAR})",
)
_DATE = re.compile("(?:" + "|".join(f"(?:{form})" for form in _DATE_FORMS) + ")", re.IGNORECASE)
# A cue, matched where one of _DOB_CUE_WORDS starts ("date of" before "birth" adds nothing to where the date is).
_DOB_CUE = re.compile(
    r"(?:(?:birth ?date|birthday|birth|d\.o\.b\.?|dob|born(?: on| in)?)(?![A-Za-z])"
    r"|出生日期|出生年月日|出生年月|出生于|出生|生于|生日)"
    r"[ \t]{0,3}(?:[:：=][ \t]{0,3}|is |was |on |为|是)?[ \t]{0,2}",
    re.IGNORECASE,
)
_DOB_CUE_WORDS_LOWER = ("birth", "born", "dob", "d.o.b")
_DOB_CUE_WORDS_ZH = ("出生", "生于", "生日")


def _has_cue(text: str, latin: tuple[str, ...], han: tuple[str, ...]) -> bool:
    """Whether any cue word occurs at all: the common answer, no, in a few C-level searches."""
    if not text.isascii() and any(word in text for word in han):
        return True
    lowered = text.lower()
    return any(word in lowered for word in latin)


def _cue_positions(text: str, latin: tuple[str, ...], han: tuple[str, ...]) -> list[int]:
    """Where the cue words occur: ``latin`` ones (lower case) case-insensitively, ``han`` ones as written; sorted.

    ``str.find`` runs in C; a regex with a dozen alternatives would try each at every position.
    """
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters (İ) grow when lowered: positions would shift
        lowered = text
    found = [_occurrences(lowered, word) for word in latin]
    if not text.isascii():
        found += [_occurrences(text, word) for word in han]
    return sorted({at for positions in found for at in positions})


def _occurrences(text: str, word: str) -> list[int]:
    positions = []
    at = text.find(word)
    while at >= 0:
        positions.append(at)
        at = text.find(word, at + 1)
    return positions


def _calendar_date(year: int, month: int, day: int) -> bool:
    if year not in _YEARS:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _valid_date_match(match: re.Match[str]) -> bool:
    """Whether a match of :data:`_DATE` names a real day (D/M/Y and M/D/Y both tried for the numeric form)."""
    groups = match.groupdict()
    for prefix in ("ymd", "cmp", "zh"):
        if groups[f"{prefix}_y"] is not None:
            return _calendar_date(int(groups[f"{prefix}_y"]), int(groups[f"{prefix}_m"]), int(groups[f"{prefix}_d"]))
    if groups["dmy_y"] is not None:
        year, a, b = int(groups["dmy_y"]), int(groups["dmy_a"]), int(groups["dmy_b"])
        return _calendar_date(year, b, a) or _calendar_date(year, a, b)
    for prefix in ("dmon", "mon"):
        if groups[f"{prefix}_y"] is not None:
            month = _MONTHS.get(groups[f"{prefix}_m"].lower())  # IGNORECASE also folds ſ to s, ı to i
            if month is None:
                return False
            return _calendar_date(int(groups[f"{prefix}_y"]), month, int(groups[f"{prefix}_d"]))
    return False


def is_date_of_birth(value: str) -> bool:
    """Whether a whole value (under a birth-date key) is a calendar-valid date of 1900-2099.

    Forms: ``1990-05-17``, ``1990/5/17``, ``1990.05.17``, ``17/05/1990`` (or 05/17/1990), ``17-05-1990``,
    ``19900517``, ``1990年5月17日``, ``17 May 1990``, ``17-MAY-1990``, ``May 17, 1990``, and an ISO datetime at
    midnight (``1990-05-17T00:00:00Z``): another time of day makes it a timestamp.
    """
    value = value.strip()
    if not 6 <= len(value) <= 40:
        return False
    match = _DATE.fullmatch(value)
    return match is not None and _valid_date_match(match)


def find_dates_of_birth(text: str) -> list[Span]:
    """Dates right after a birth cue in free text: ``born on 17 May 1990``, ``DOB: 1990-05-17``,
    ``出生于1990年5月17日``, ``生日:5/17/1990``. A date without a cue (an order date, a timestamp) is not one."""
    if len(text) < 8 or not _has_cue(text, _DOB_CUE_WORDS_LOWER, _DOB_CUE_WORDS_ZH):
        return []
    spans: list[Span] = []
    for at in _cue_positions(text, _DOB_CUE_WORDS_LOWER, _DOB_CUE_WORDS_ZH):
        cue = _DOB_CUE.match(text, at)
        if cue is None or (at and text[at - 1].isascii() and text[at - 1].isalpha()):
            continue
        match = _DATE.match(text, cue.end())
        if match is None or not _valid_date_match(match):
            continue
        start, end = match.span()
        if end < len(text) and text[end].isascii() and text[end].isalnum() and not match.group().endswith("日"):
            continue  # 1990-05-17123 or 17 May 19901: part of something longer
        spans.append((start, end))
    return _merge(spans)  # 出生于: both 出生 and 生于 are cues for the same date


# === postal_address ============================================================================================

# Chinese administrative and street levels, in the order an address names them (GB/T 2260 divisions, then the
# street, the number and the unit): an address names at least two levels, in this order.
_CN_LEVEL_MARKERS = (
    ("特别行政区", 0), ("自治区", 0), ("省", 0), ("自治州", 1), ("市", 1), ("盟", 1), ("地区", 1), ("区", 2),
    ("县", 2), ("旗", 2), ("街道", 3), ("镇", 3), ("乡", 3), ("大道", 4), ("大街", 4), ("胡同", 4), ("路", 4),
    ("街", 4), ("巷", 4), ("弄", 5), ("号楼", 5), ("号", 5), ("栋", 5), ("幢", 5), ("座", 5), ("单元", 5), ("室", 5),
    ("层", 5), ("楼", 5),
)  # fmt: skip
_CN_LEVEL = dict(_CN_LEVEL_MARKERS)
_CN_MARKER = re.compile(_alternation(_CN_LEVEL))
_CN_NUMBERED_LEVEL = 5  # these markers need a number before them: 328号, 5栋, 三单元
# ASCII and full-width digits, Chinese numerals, building letters
_CN_NUMERALS = frozenset(
    "0123456789\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19一二三四五六七八九十百零\u3007甲乙丙丁ABCDEFGHJKLMNPQRSTUVWXYZ-"
)
_MUNICIPALITIES = ("北京", "上海", "天津", "重庆")
_CN_PROVINCES = _split_words(
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川"
    " 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门"
)
_CN_CITIES = _split_words(
    "苏州 南京 无锡 常州 南通 扬州 镇江 泰州 徐州 盐城 淮安 连云港 宿迁 昆山 常熟 张家港 太仓 杭州 宁波 温州 绍兴"
    " 嘉兴 湖州 金华 台州 合肥 福州 厦门 泉州 南昌 济南 青岛 烟台 郑州 武汉 长沙 广州 深圳 珠海 东莞 佛山 海口"
    " 成都 贵阳 昆明 西安 兰州 西宁 银川 乌鲁木齐 拉萨 南宁 呼和浩特 沈阳 大连 长春 哈尔滨 石家庄 太原"
)
_CN_ADDRESS = re.compile(
    "(?:" + _alternation(_CN_PROVINCES + _CN_CITIES) + ")"
    f"[{_HAN}0-9A-Za-z\\-#()（）]{{2,60}}?"
    "[0-9一二三四五六七八九十百零\u3007]{1,6}[号室]"
    f"(?:[0-9A-Za-z\\-]{{1,6}}(?:号楼|栋|幢|座|单元|楼|层|室|号)){{0,4}}"
)
_CN_ADDRESS_FORBIDDEN = frozenset("。！？；，,;!?\n\r\t")

# Singapore and other Latin-script addresses.
_STREET_WORDS = _split_words(
    "road rd street st avenue ave drive dr crescent cres lorong lor jalan jln boulevard blvd lane ln way close"
    " walk link place pl terrace rise hill park central square sq quay view grove heights green loop circle ring"
    " sector gardens garden highway hwy expressway court ct parkway pkwy alley row plaza estate circus mall"
)
_STREET_WORD = "(?:" + _alternation(_STREET_WORDS) + r")\.?"
_NUMBERED_STREET = re.compile(
    r"(?<![A-Za-z0-9#\-])[0-9]{1,5}[A-Za-z]?,? {1,3}(?:[A-Za-z][A-Za-z'.\-]{0,24} {1,3}){0,5}?"
    + _STREET_WORD
    + "(?![A-Za-z])",
    re.IGNORECASE,
)
_STREET_WORDS_RE = re.compile(r"(?<![A-Za-z])" + _STREET_WORD + "(?![A-Za-z])", re.IGNORECASE)
_BLOCK = re.compile(r"(?<![A-Za-z])(?:blk|block)\.? {0,2}[0-9]{1,4}[A-Za-z]?(?![0-9])", re.IGNORECASE)
_NAMED_STREET = re.compile(r"(?<![A-Za-z])(?:jalan|jln|lorong|lor)\.? {1,3}[A-Z0-9]", re.IGNORECASE)
_UNIT = re.compile(r"#[0-9]{1,3}-[0-9]{1,5}[A-Za-z]?(?![0-9])")
_SG_POSTAL = re.compile(r"(?<![A-Za-z])(?:singapore {0,2}\(? {0,2}|S {0,1}\( {0,1})[0-9]{6}(?![0-9])\)?", re.IGNORECASE)
_SG_POSTAL_BARE = re.compile(r"(?<![A-Za-z0-9])S ?[0-9]{6}(?![0-9])")
_ADDRESS_START_WINDOW = 120
_CN_TEXT_LEVELS = 3  # in free text an address names three levels (市 + 街 + 号): 苏州市民在10号 is not one


def _cn_levels(value: str) -> int:
    """How many distinct address levels a Chinese string names in order (later ones out of order are ignored).

    A marker counts only with text before it since the previous marker (市场区域: 市 starts the string, so it
    counts as nothing), and 号/室/栋... only right after a number (信号 is no house number).
    """
    levels: list[int] = []
    previous_end = 0
    for marker in _CN_MARKER.finditer(value):
        start = marker.start()
        level = _CN_LEVEL[marker.group()]
        if start == previous_end:  # no text since the previous marker: part of a word (市场, 区域)
            previous_end = marker.end()
            continue
        if (level == _CN_NUMBERED_LEVEL and value[start - 1] not in _CN_NUMERALS) or (levels and level < levels[-1]):
            continue  # 信号, 办公楼; or a level out of order (…328号星湖小区)
        levels.append(level)
        previous_end = marker.end()
    if value.startswith(_MUNICIPALITIES) and (not levels or levels[0] > 1):
        levels.insert(0, 1)  # 上海浦东新区...: the municipality without 市
    return len(set(levels))


def _is_cn_address(value: str, levels: int = 2) -> bool:
    if not 6 <= len(value) <= 120 or not _CN_ADDRESS_FORBIDDEN.isdisjoint(value):
        return False
    han = sum(1 for c in value if _is_han(c))
    return han >= 4 and _cn_levels(value) >= levels


def _is_latin_address(value: str) -> bool:
    if not 6 <= len(value) <= 200 or "://" in value:
        return False
    postal = _SG_POSTAL.search(value) or _SG_POSTAL_BARE.search(value)
    street = _NUMBERED_STREET.search(value) or _NAMED_STREET.search(value)
    block = _BLOCK.search(value)
    unit = _UNIT.search(value)
    if postal is not None:
        return bool(street or block or unit or len(value[: postal.start()].split()) >= 2)
    if block is not None:
        return bool(street or unit or _STREET_WORDS_RE.search(value))
    return street is not None or (unit is not None and _STREET_WORDS_RE.search(value) is not None)


def is_postal_address(value: str) -> bool:
    """Whether a whole value (under an address key) is a postal address.

    Chinese: at least two levels in order among province, city, district, town, street, number and unit
    (``江苏省苏州市工业园区星湖街328号``). Singapore: a 6-digit postal code after ``Singapore``/``S(`` with a street,
    block or unit before it, a block (``Blk 123``) with a street or unit, or a unit ``#05-67`` with a street word.
    Elsewhere: a house number and a street word (``221B Baker Street``, ``10 Anson Road``).
    """
    value = value.strip()
    if not value or "@" in value:
        return False
    if any(_is_han(c) for c in value[:40]):
        return _is_cn_address(value)
    return _is_latin_address(value)


def _latin_address_start(text: str, tail_start: int) -> int:
    """Where the street part of a Singapore address ending in a postal code at ``tail_start`` begins, or -1."""
    line_start = max(text.rfind("\n", 0, tail_start) + 1, tail_start - _ADDRESS_START_WINDOW, 0)
    for pattern in (_BLOCK, _NUMBERED_STREET, _NAMED_STREET):
        found = pattern.search(text, line_start, tail_start)
        if found is not None and tail_start - found.end() <= 80:
            return found.start()
    return -1


def find_postal_addresses(text: str) -> list[Span]:
    """Postal addresses in free text, precise rather than complete: a Singapore address ending in ``Singapore
    123456`` or ``S(123456)`` (from its block or numbered street; the code alone after a comma), and a Chinese
    address starting with a province or major city and ending with a 号 or 室 number."""
    if len(text) < 8:
        return []
    spans: list[Span] = []
    if "ingapore" in text or "INGAPORE" in text or "S(" in text:
        for tail in _SG_POSTAL.finditer(text):
            start = _latin_address_start(text, tail.start())
            if start < 0:
                before = text[: tail.start()].rstrip()
                if not before.endswith(","):
                    continue
                start = tail.start()
            spans.append((start, tail.end()))
    if "号" in text or "室" in text:
        for found in _CN_ADDRESS.finditer(text):
            if _is_cn_address(found.group(), _CN_TEXT_LEVELS):
                spans.append(found.span())
    return _merge(spans)


# === health ====================================================================================================

# Lexicon: diseases, conditions, medications, procedures and results whose mention about a person reveals their
# health. English words are matched whole (case-insensitive, with a plural s); Chinese terms as substrings.
_HEALTH_EN = (
    # conditions
    "diabetes", "diabetic", "type 1 diabetes", "type 2 diabetes", "diabetes mellitus", "hypertension",
    "high blood pressure", "hypotension", "asthma", "copd", "emphysema", "bronchitis", "pneumonia", "tuberculosis",
    "influenza", "covid-19", "covid", "sars-cov-2", "hepatitis", "hepatitis a", "hepatitis b", "hepatitis c",
    "cirrhosis", "fatty liver", "kidney failure", "renal failure", "chronic kidney disease", "heart disease",
    "heart attack", "heart failure", "coronary artery disease", "myocardial infarction", "arrhythmia",
    "atrial fibrillation", "angina", "stroke", "cancer", "carcinoma", "tumour", "tumor", "leukaemia", "leukemia",
    "lymphoma", "melanoma", "sarcoma", "breast cancer", "lung cancer", "prostate cancer", "cervical cancer",
    "colorectal cancer", "metastasis", "hiv", "hiv positive", "aids", "syphilis", "gonorrhoea", "gonorrhea",
    "chlamydia", "herpes", "hpv", "std", "sti", "alzheimer", "alzheimer's", "dementia", "parkinson",
    "parkinson's", "epilepsy", "seizure", "migraine", "multiple sclerosis", "schizophrenia", "bipolar disorder",
    "depression", "major depressive disorder", "depressive", "anxiety disorder", "panic disorder", "ptsd", "ocd",
    "adhd", "autism", "autistic", "eating disorder", "anorexia", "bulimia", "insomnia", "suicidal",
    "self-harm", "substance abuse", "alcoholism", "addiction", "obesity", "osteoporosis", "arthritis",
    "rheumatoid arthritis", "gout", "lupus", "psoriasis", "eczema", "anaemia", "anemia", "thalassaemia",
    "thalassemia", "haemophilia", "hemophilia", "glaucoma", "cataract", "hearing loss", "disability",
    "infertility", "pregnancy", "pregnant", "miscarriage", "abortion", "ivf", "down syndrome", "cerebral palsy",
    "dyslexia", "allergy", "allergic", "dengue", "malaria", "measles", "hypothyroidism", "hyperthyroidism",
    # medications
    "insulin", "metformin", "atorvastatin", "simvastatin", "statin", "lisinopril", "amlodipine", "losartan",
    "omeprazole", "levothyroxine", "sertraline", "fluoxetine", "escitalopram", "antidepressant", "antidepressants",
    "antipsychotic", "methadone", "warfarin", "clopidogrel", "prednisone", "methotrexate",
    "tamoxifen", "antiretroviral", "chemotherapy", "radiotherapy", "radiation therapy", "immunotherapy",
    "dialysis", "haemodialysis", "hemodialysis",
    # procedures and results
    "biopsy", "mastectomy", "hysterectomy", "appendectomy", "colonoscopy", "angioplasty", "bypass surgery",
    "organ transplant", "kidney transplant", "liver transplant", "caesarean", "cesarean", "c-section",
    "tested positive", "hba1c", "diagnosed with", "icu admission",
)  # fmt: skip
_HEALTH_ZH = _split_words(
    "糖尿病 高血压 低血压 高血脂 高血糖 冠心病 心脏病 心肌梗死 心梗 心衰 心律失常 房颤 中风 脑卒中 脑梗 脑出血"
    " 哮喘 慢阻肺 支气管炎 肺炎 肺结核 结核病 流感 新冠肺炎 新冠 乙肝 丙肝 甲肝 肝炎 肝硬化 脂肪肝 肾衰竭 尿毒症"
    " 肾病 癌症 肿瘤 乳腺癌 肺癌 肝癌 胃癌 结肠癌 直肠癌 宫颈癌 前列腺癌 鼻咽癌 甲状腺癌 白血病 淋巴瘤 恶性肿瘤"
    " 艾滋病 艾滋 梅毒 淋病 尖锐湿疣 疱疹 阿尔茨海默 老年痴呆 痴呆 帕金森 癫痫 偏头痛 精神分裂 双相情感障碍 抑郁症"
    " 抑郁 焦虑症 强迫症 自闭症 多动症 进食障碍 厌食症 失眠症 自杀 自残 吸毒 酗酒 肥胖症 骨质疏松 关节炎 类风湿"
    " 痛风 红斑狼疮 银屑病 湿疹 贫血 地中海贫血 血友病 青光眼 白内障 残疾 残障 不孕 不育 怀孕 妊娠 孕妇 流产"
    " 人工流产 堕胎 试管婴儿 唐氏综合征 脑瘫 过敏 登革热 疟疾 麻疹 甲亢 甲减 胰岛素 二甲双胍 阿托伐他汀 他汀"
    " 降压药 降糖药 抗抑郁药 抗病毒药 化疗 放疗 靶向治疗 免疫治疗 血液透析 腹膜透析 透析治疗 活检 切除术 手术"
    " 剖腹产 剖宫产 器官移植 肾移植 肝移植 心脏搭桥 心脏支架 核酸阳性 呈阳性 住院 就诊"
)
HEALTH_TERMS: frozenset[str] = frozenset(_HEALTH_EN) | frozenset(_HEALTH_ZH)
"""Every lexicon term (English lower case, Chinese as written)."""
# Case-sensitive acronyms: in lower case they are ordinary words (aids, std as "standard", sti ...).
_HEALTH_ACRONYMS = frozenset({"aids", "std", "sti", "ocd", "hpv", "ivf", "hiv", "copd", "adhd", "ptsd"})
# Phrases with a lexicon term that are not about anyone's health.
_HEALTH_EXCLUSIONS_EN = (
    "sugar-free", "sugar free", "great depression", "economic depression", "tropical depression",
    "depression era", "computer virus", "brush stroke", "brush strokes", "stroke of luck", "stroke of genius",
    "stroke of midnight", "heat stroke warning", "tropic of cancer", "bipolar transistor", "bipolar junction",
    "suitable for diabetics", "diabetic-friendly", "diabetic friendly", "hearing aids", "visual aids",
    "teaching aids", "pregnancy test kit", "cancer research", "cancer foundation", "covid-19 pandemic",
    "covid pandemic", "covid restrictions", "asset seizure", "seizure of", "allergy-free", "allergen-free",
)  # fmt: skip
_HEALTH_EXCLUSIONS_ZH = (
    "发烧友", "中风险", "手术刀", "诊断工具", "故障诊断", "系统诊断", "网络诊断", "新冠疫情", "防过敏", "住院部",
)  # fmt: skip

_LATIN_SEPARATORS = bytes.maketrans(
    b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ABCDEFGHIJKLMNOPQRSTUVWXYZ\t\n\r\x0b\x0c",
    b"                                abcdefghijklmnopqrstuvwxyz     ",
)


def _latin_anchors(terms: Iterable[str]) -> frozenset[bytes]:
    """The longest ASCII word of each term (and its plural): a text without any of them holds none of the terms."""
    anchors = set()
    for term in terms:
        pieces = _ascii_words(term)
        longest = max(pieces, key=len)
        anchors.add(longest)
        anchors.add(longest + b"s")
    return frozenset(anchors)


def _han_anchors(terms: Iterable[str], telling: str) -> set[str]:
    """One or more characters per term that every occurrence of it contains: its ``telling`` characters (those
    rare outside the lexicon's subject: 癌 症 孕 ...) or else its last one. A text with none of them has no term,
    and a character-set search finds that in one C-level pass."""
    anchors: set[str] = set()
    for term in terms:
        chosen = [c for c in term if c in telling]
        anchors.update(chosen[:1] or term[-1])
    return anchors


def _ascii_words(text: str) -> list[bytes]:
    """The lower-case ASCII words of ``text`` (anything else is a separator), in C-speed steps."""
    return text.encode("ascii", "replace").translate(_LATIN_SEPARATORS).split()


class _Lexicon:
    """A lexicon matched in one pass: Latin terms whole (case-insensitive, plural s), Han terms as substrings.

    The Latin pattern runs only when one of the terms' longest words is among the text's words (a few C-level
    passes over the text); the Han pattern (a prefix trie) only when the text holds one of the terms' anchor
    characters (see :func:`_han_anchors`). ``acronyms`` count only in capitals (AIDS, not "hearing aids").
    """

    def __init__(
        self, latin: Iterable[str], han: Iterable[str], *, acronyms: frozenset[str] = frozenset(), telling: str = ""
    ) -> None:
        latin = tuple(latin)
        han = tuple(han)
        self.anchors = _latin_anchors(latin)
        self.latin = re.compile(f"(?:{_trie(t.lower() for t in latin)})s?", re.IGNORECASE)
        self.acronyms = acronyms
        self.han = re.compile(_trie(han))
        self.han_anchors = re.compile(f"[{''.join(sorted(_han_anchors(han, telling)))}]")

    def find(self, text: str) -> list[Span]:
        """Spans of the terms in ``text``, Latin ones first, each group in text order."""
        spans: list[Span] = []
        if not self.anchors.isdisjoint(_ascii_words(text)):
            spans.extend(self._latin(text))
        if not text.isascii() and self.han_anchors.search(text):
            spans.extend(m.span() for m in self.han.finditer(text))
        return spans

    def starts_term(self, text: str, start: int) -> bool:
        """Whether a Han term starts at ``start``."""
        return self.han.match(text, start) is not None

    def _latin(self, text: str) -> Iterable[Span]:
        for match in self.latin.finditer(text):
            start, end = match.span()
            if not _word_bounded(text, start, end):
                continue
            word = match.group()
            if word[-1] in "sS" and word[:-1].lower() in self.acronyms:
                word = word[:-1]  # STDs
            if word.lower() in self.acronyms and not word.isupper():
                continue
            yield start, end


# Characters rare outside medicine: the Han terms' anchors (see _han_anchors).
_HEALTH_TELLING = (
    "病症癌瘤炎疾孕娠药疗诊肝肺肾脑痛痴癫痫艾滋梅毒疱疹疟喘哮糖尿脂梗衰"
    "核瘫敏胰胍汀透剖颈杀残障堕酗婴颤卒郁冠亢疏狼屑疣血胎搭"
)
_HEALTH_LEXICON = _Lexicon(_HEALTH_EN, _HEALTH_ZH, acronyms=_HEALTH_ACRONYMS, telling=_HEALTH_TELLING)
_HEALTH_EXCLUSIONS = re.compile(
    f"(?:{_alternation(_HEALTH_EXCLUSIONS_EN)})|(?:{_alternation(_HEALTH_EXCLUSIONS_ZH)})", re.IGNORECASE
)
# ICD-10 (WHO): a letter other than U (reserved for provisional codes), two digits, optional .1-2 characters.
_ICD10 = "(?:[A-TV-Z][0-9]{2}|U0[7-9])(?:\\.[0-9A-Z]{1,2})?"  # U07-U09: WHO emergency codes (U07.1 COVID-19)
_ICD10_WHOLE = re.compile(f"{_ICD10}(?: {{0,2}}[,;/] {{0,2}}{_ICD10}){{0,9}}")
_ICD10_CUED = re.compile(
    r"(?:(?<![A-Za-z])(?i:ICD-?(?:10)?(?:-CM)?|diagnos[ie]s|diagnosed(?: with)?)"
    r"|诊断编码|诊断代码|诊断为|诊断|疾病编码)"
    r"[ \t]{0,3}(?i:code)?[ \t]{0,2}[:：=]?[ \t]{0,2}[(（]?[ \t]{0,2}"
    f"(?P<code>{_ICD10})(?![A-Za-z0-9])"
)
_ICD10_IN_PARENS = re.compile(f"[ \t]{{0,2}}[(（][ \t]{{0,2}}(?P<code>{_ICD10})[ \t]{{0,2}}[)）]")
_ICD10_CUE_WORDS = ("ICD", "icd", "iagnos", "IAGNOS")
_ICD10_CUE_WORDS_ZH = ("诊断", "疾病编码")
_BLOOD_TYPE = re.compile(r"(?:A|B|AB|O)(?: ?(?:[+\-]|Rh[+\-]|型血?|型Rh[阴阳]性))?|Rh[阴阳]性")
_WHOLE_VALUE_RESULTS = frozenset(
    {"positive", "negative", "reactive", "non-reactive", "阳性", "阴性", "确诊", "疑似", "弱阳性", "携带者"}
)
_MEDICAL_SUFFIXES_ZH = ("病", "症", "癌", "炎", "瘤", "综合征", "综合症", "骨折", "损伤", "感染", "障碍", "结石")
_MEDICAL_SUFFIXES_EN = re.compile(
    r"(?<![A-Za-z])(?:[A-Za-z]{3,30}(?:itis|osis|emia|aemia|oma|pathy|algia|ectomy|otomy|plasty|plegia|trophy)"
    r"|syndrome|disorder|disease|infection|fracture|injury|deficiency|insufficiency)(?![A-Za-z])",
    re.IGNORECASE,
)


# What follows a diagnosis cue, up to the next punctuation, is the diagnosis: "诊断：新型冠状病毒感染（U07.1）",
# "Diagnosis: fracture of lower end of radius (S52.5)", "既往史：焦虑障碍".
_DIAGNOSIS_CUED = re.compile(
    r"(?:初步诊断为|诊断为|诊断结果|诊断|确诊为|确诊|既往史|既往病史|病史"
    r"|(?<![A-Za-z])(?i:diagnosis|diagnosed with|diagnosed as|medical history))"
    r"[ \t]{0,2}[:\uff1a]?[ \t]{0,2}"
    r"(?P<term>[^\s\uff0c\u3002\uff1b\uff08\uff09;,.()\d][^\uff0c\u3002\uff1b\uff08\uff09;,.()\n]{1,59}?)"
    r"(?=[ \t]{0,2}[\uff0c\u3002\uff1b\uff08\uff09;,.()\n]|$)"
)
_DIAGNOSIS_CUE_WORDS = ("诊断", "确诊", "病史", "既往", "iagnos", "istory")  # medical history


def _medical_phrase(text: str, cued: re.Match[str]) -> bool:
    """Whether the phrase after a diagnosis cue is a condition: after a Chinese cue, unless the cue is a machine's
    (故障诊断, 系统诊断); after an English one ("Diagnosis: network timeout" is a support ticket), only with a
    medical word, a lexicon term or an ICD-10 code in parentheses after it."""
    term = cued.group("term")
    if not cued.group(0)[:1].isascii():
        return _HEALTH_EXCLUSIONS.search(text, max(0, cued.start() - 2), cued.start("term")) is None
    return bool(
        _HEALTH_LEXICON.find(term) or _has_medical_ending(term) or _ICD10_IN_PARENS.match(text, cued.end("term"))
    )


def find_health_terms(text: str) -> list[Span]:
    """Health terms in free text: lexicon terms (minus everyday phrases such as ``sugar-free``, ``great
    depression``, ``发烧友``), the phrase after a diagnosis cue (``诊断：…``, ``Diagnosis: …``), and ICD-10 codes
    after a cue (``ICD-10: E11.9``, ``诊断:J45``) or in parentheses right after a term (``diabetes (E11.9)``)."""
    if len(text) < 2:
        return []
    spans = _HEALTH_LEXICON.find(text)
    if any(word in text for word in _DIAGNOSIS_CUE_WORDS):
        spans.extend(m.span("term") for m in _DIAGNOSIS_CUED.finditer(text) if _medical_phrase(text, m))
    if spans:
        excluded = [m.span() for m in _HEALTH_EXCLUSIONS.finditer(text)]
        if excluded:
            overlaps = overlap_test(excluded)
            spans = [s for s in spans if not overlaps(s[0], s[1])]
        for _, end in tuple(spans):
            code = _ICD10_IN_PARENS.match(text, end)
            if code is not None:
                spans.append(code.span("code"))
    if any(word in text for word in _ICD10_CUE_WORDS) or (
        not text.isascii() and any(word in text for word in _ICD10_CUE_WORDS_ZH)
    ):
        for cued in _ICD10_CUED.finditer(text):
            code_start = cued.start("code")
            if code_start == 0 or not text[code_start - 1].isascii() or not text[code_start - 1].isalnum():
                spans.append(cued.span("code"))
    return _merge(spans)


def is_health(value: str) -> bool:
    """Whether a whole value (under a health key) is health data: ICD-10 code(s) (``E11.9``, ``J45; I10``), a
    lexicon term anywhere in it, a blood type, a test result (``阳性``, ``negative``) or a name with a medical
    ending (``支气管炎``, ``gastritis``, ``Crohn's disease``). ``none``, ``无``, ``健康``, ``normal`` are not."""
    value = value.strip()
    if not value or len(value) > 10_000:
        return False
    if _ICD10_WHOLE.fullmatch(value) or _BLOOD_TYPE.fullmatch(value) or value.lower() in _WHOLE_VALUE_RESULTS:
        return True
    return bool(find_health_terms(value)) or (len(value) <= 40 and _has_medical_ending(value))


_NOT_A_CONDITION = frozenset(
    {
        "none",
        "nil",
        "n/a",
        "na",
        "no",
        "false",
        "unknown",
        "normal",
        "healthy",
        "null",
        "-",
        "--",
        "无",
        "没有",
        "健康",
        "正常",
        "良好",
        "不详",
        "未知",
        "否",
    }
)
_LETTERS = re.compile(r"[^\W\d_]")
_STATUS_WORDS = frozenset(
    {
        "up",
        "down",
        "ok",
        "green",
        "yellow",
        "red",
        "degraded",
        "pass",
        "fail",
        "passing",
        "failing",
        "healthy",
        "unhealthy",
        "serving",
        "unknown",
        "control",
        "variant",
    }
)


def is_health_under_key(value: str) -> bool:
    """Whether a whole value under a key that names health data (diagnosis, 诊断, zhenduan, bingshi, ...) is
    health data: what :func:`is_health` accepts, or any short text with words in it (``lumbar disc displacement``,
    ``腰椎间盘突出``) that is not a way of saying "nothing" (``none``, ``无``, ``normal``, ``健康``)."""
    stripped = value.strip()
    if stripped.lower() in _NOT_A_CONDITION:
        return False
    if is_health(stripped):
        return True
    if stripped.lower() in _STATUS_WORDS or (stripped.isascii() and len(stripped) < 4):
        return False  # {"health": "UP"}: a service's status, not a person's
    return len(stripped) <= 120 and len(_LETTERS.findall(stripped[:40])) >= 2


def _has_medical_ending(value: str) -> bool:
    """A Chinese condition name (支气管炎, 胃溃疡病) or an English one (gastritis, Crohn's disease)."""
    if len(value) >= 2 and _is_han(value[0]) and value.endswith(_MEDICAL_SUFFIXES_ZH):
        return True
    return _MEDICAL_SUFFIXES_EN.search(value) is not None


# === religion ==================================================================================================

_RELIGION_EN = (
    "buddhism", "buddhist", "christianity", "christian", "catholic", "catholicism", "roman catholic",
    "protestant", "protestantism", "orthodox christian", "eastern orthodox", "anglican", "methodist", "baptist",
    "presbyterian", "lutheran", "evangelical", "pentecostal", "mormon", "latter-day saints", "jehovah's witness",
    "jehovah's witnesses", "islam", "islamic", "muslim", "moslem", "sunni", "shia", "shiite", "hindu", "hinduism",
    "taoist", "taoism", "daoist", "daoism", "sikh", "sikhism", "jewish", "judaism", "jew", "shinto", "jain",
    "jainism", "baha'i", "bahá'í", "zoroastrian", "confucian", "confucianism", "atheist", "atheism", "agnostic",
    "agnosticism", "chinese folk religion",
)  # fmt: skip
_RELIGION_ZH = _split_words(
    "佛教 佛教徒 基督教 基督徒 天主教 天主教徒 伊斯兰教 穆斯林 回教 道教 道教徒 印度教 印度教徒 锡克教 犹太教"
    " 犹太教徒 东正教 新教 儒教 神道教 耆那教 巴哈伊教 琐罗亚斯德教 拜火教 摩门教 耶和华见证人 无神论 无神论者"
    " 民间信仰 信佛 信基督 信耶稣 做礼拜 受洗 皈依"
)
RELIGION_TERMS: frozenset[str] = frozenset(_RELIGION_EN) | frozenset(_RELIGION_ZH)
"""Religions and beliefs, English lower case and Chinese."""
_RELIGION_LEXICON = _Lexicon(_RELIGION_EN, _RELIGION_ZH, telling="佛督天伊斯兰道犹锡正儒神耆巴琐祆摩耶穆教徒信洗皈拜")
_NO_RELIGION = frozenset(
    {
        "none", "no", "nil", "n/a", "na", "null", "no religion", "not applicable", "not stated", "prefer not to say",
        "unknown", "-", "无", "没有", "无宗教", "无宗教信仰", "不信教", "未知", "不详", "其他", "other", "others",
        "freethinker", "free thinker",
    }
)  # fmt: skip
_RELIGION_SUFFIXES_ZH = ("教", "教徒", "信徒")
# Cues that a religion word in free text is about someone's belief (not a brand: "Christian Dior").
_RELIGION_CUE = re.compile(
    r"(?<![A-Za-z])(?:religion|religious|faith|believer|devout|practi[cs]ing|converted|convert|worship"
    r"|bapti[sz]ed|by religion|denomination)(?![A-Za-z])|宗教|信仰|信教|信奉|皈依|教徒|受洗|做礼拜|入教",
    re.IGNORECASE,
)
_RELIGION_CUE_WORDS_LOWER = (
    "relig", "faith", "believer", "devout", "practi", "convert", "worship", "bapti", "denomination",
)  # fmt: skip
_RELIGION_CUE_WORDS_ZH = (
    "宗教",
    "信仰",
    "信教",
    "信奉",
    "皈依",
    "教徒",
    "受洗",
    "做礼拜",
    "入教",
)  # 礼拜 alone: a week
_RELIGION_CUE_WINDOW = 40


def is_religion(value: str) -> bool:
    """Whether a whole value (under a religion key) states a religion or belief (``Buddhist``, ``佛教``,
    ``Roman Catholic``, ``Atheist``, ``道教``). ``none``, ``无``, ``Freethinker`` (Singapore's census label for no
    religion) and other placeholders are not findings."""
    value = value.strip()
    if not value or len(value) > 200 or value.lower() in _NO_RELIGION:
        return False
    if _RELIGION_LEXICON.find(value) and not value.startswith(_NOT_RELIGION_ZH):
        return True
    # 锡克教, 天理教: a name ending in 教 of three or more characters (家教, 请教 are a tutor and a question).
    return 3 <= len(value) <= 12 and _is_han(value[0]) and value.endswith(_RELIGION_SUFFIXES_ZH)


_NOT_RELIGION_ZH = ("新教师", "新教材", "新教学")  # 新教 (Protestantism) inside new teacher, textbook, teaching


def find_religion_terms(text: str) -> list[Span]:
    """Religion terms in free text that a cue word within 40 characters ties to a belief (``religion: Buddhist``,
    ``a devout Catholic``, ``宗教信仰:佛教``, ``他信仰伊斯兰教``); a brand or a course title without a cue is not."""
    if len(text) < 4:
        return []
    if text.isascii() or not any(word in text for word in _RELIGION_CUE_WORDS_ZH):
        lowered = text.lower()
        if not any(word in lowered for word in _RELIGION_CUE_WORDS_LOWER):
            return []
    terms = _RELIGION_LEXICON.find(text)
    if not terms:
        return []
    terms = [(a, b) for a, b in terms if not text.startswith(_NOT_RELIGION_ZH, a)]
    near_cue = overlap_test(m.span() for m in _RELIGION_CUE.finditer(text))
    window = _RELIGION_CUE_WINDOW
    spans = [(start, end) for start, end in terms if near_cue(start - window - 1, end + window + 1)]
    return _merge(spans)


# === biometric =================================================================================================

# Magic numbers at the start of image, audio and biometric-template files.
_IMAGE_MAGIC = (
    b"\xff\xd8\xff",  # JPEG (ITU-T T.81 SOI marker)
    b"\x89PNG\r\n\x1a\n",  # PNG (RFC 2083)
    b"GIF87a",
    b"GIF89a",
    b"\x00\x00\x00\x0cjP  \r\n\x87\n",  # JPEG 2000 (ISO/IEC 15444-1), used for ICAO 9303 face images
)
_ISOBMFF_IMAGE_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"heim", b"heis")
# ISO/IEC 19794 biometric data interchange records: finger minutiae, finger image, face image, iris image.
_BIOMETRIC_RECORD_MAGIC = (b"FMR\x00", b"FIR\x00", b"FAC\x00", b"IIR\x00")
_DATA_URI = re.compile(r"data:(?P<type>[A-Za-z]{1,20}/[A-Za-z0-9.+\-]{1,40})(?:;[A-Za-z0-9=.\-]{1,40}){0,4};base64,")
_BASE64_PREFIX = re.compile(r"[A-Za-z0-9+/_\-\s]{16,4096}")
_BASE64_BODY = re.compile(r"[A-Za-z0-9+/_\-\r\n]*={0,2}")
_HEX_BODY = re.compile(r"[0-9A-Fa-f]*")
_MIN_VECTOR_LENGTH = 32  # face embeddings have 128 or 512 dimensions; a handful of numbers is a measurement
_MIN_TEMPLATE_BYTES = 128  # longer than any digest or signature a "fingerprint" key also holds (SHA-512: 64 bytes)


def _media_header(head: bytes) -> str | None:
    """``"image"``, ``"audio"`` or ``"template"`` from a file's first bytes, else None."""
    if head.startswith(_IMAGE_MAGIC):
        return "image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image"
    if head[4:8] == b"ftyp" and head[8:12] in _ISOBMFF_IMAGE_BRANDS:
        return "image"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio"
    if head.startswith(_BIOMETRIC_RECORD_MAGIC):
        return "template"
    return None


def _base64_head(payload: str) -> bytes | None:
    """The first bytes that a base64 (standard or URL-safe) payload decodes to, or None."""
    prefix = _BASE64_PREFIX.match(payload)
    if prefix is None:
        return None
    chars = "".join(prefix.group().split())[:32]
    chars = chars[: len(chars) - len(chars) % 4]
    if len(chars) < 16:
        return None
    try:
        return base64.b64decode(chars.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None


def looks_like_face_image(value: str) -> bool:
    """Whether a value is an inline image: a ``data:image/...;base64,`` URI whose bytes start like a JPEG, PNG,
    GIF, WebP, HEIF/AVIF or JPEG 2000 file.

    Only the image is checked, never a face in it: the scanner should report it as ``biometric`` only under a
    biometric key (face, photo, 人脸 ...). Under any other key an inline image is more often a logo, a product
    photo or a scanned form, and calling it biometric would be noise; at most a low-confidence hint.
    """
    if len(value) < 40:
        return False
    value = value.strip()
    uri = _DATA_URI.match(value)
    if uri is None or not uri.group("type").lower().startswith("image/"):
        return False
    head = _base64_head(value[uri.end() :])
    return head is not None and _media_header(head) == "image"


def is_biometric(value: str) -> bool:
    """Whether a whole value (under a biometric key) is a biometric sample or template.

    An image, audio or ISO/IEC 19794 record, inline as a data URI or bare base64 (decoded header checked); or a
    blob of base64 or hex of at least 128 bytes (a minutiae template, an encrypted feature vector); or a list of
    32 or more numbers written as text (a face embedding). Shorter blobs are digests or ids (a certificate's
    SHA-256 "fingerprint" is 32 bytes); URLs pointing at a photo are references, not the data.
    """
    value = value.strip()
    if len(value) < 24:
        return False
    uri = _DATA_URI.match(value)
    payload = value[uri.end() :] if uri is not None else value
    head = _base64_head(payload)
    if head is not None and _media_header(head) is not None:
        return True
    if uri is not None:
        kind = uri.group("type").lower()
        large = len(payload) >= _MIN_TEMPLATE_BYTES * 4 // 3
        return head is not None and large and kind.startswith(("image/", "audio/")) and "svg" not in kind
    return _is_template_blob(payload, decodes=head is not None) or (
        value[0] in "[-0123456789" and _is_number_vector(value)
    )


def _is_template_blob(payload: str, *, decodes: bool) -> bool:
    """Hex or base64 of at least :data:`_MIN_TEMPLATE_BYTES` bytes; base64 must look random (digits, capitals)."""
    sample = payload[:8192]
    if len(payload) >= 2 * _MIN_TEMPLATE_BYTES and len(payload) % 2 == 0 and _HEX_BODY.fullmatch(sample):
        return _HEX_BODY.fullmatch(payload) is not None
    if len(payload) < _MIN_TEMPLATE_BYTES * 4 // 3 or not decodes or not _BASE64_BODY.fullmatch(sample):
        return False
    random_looking = any(c.isdigit() for c in sample) and any(c.isupper() for c in sample)
    return random_looking and _BASE64_BODY.fullmatch(payload) is not None


def _is_number_vector(value: str) -> bool:
    """Whether the text is a list of at least 32 numbers (``[0.12, -0.4, ...]`` or space separated)."""
    if len(value) > 200_000:
        return False
    items = value.strip("[]").replace(",", " ").split()
    if len(items) < _MIN_VECTOR_LENGTH:
        return False
    try:
        numbers = [float(item) for item in items]
    except ValueError:
        return False
    return all(-1e6 < n < 1e6 for n in numbers)


# === credential ================================================================================================

_PLACEHOLDERS = frozenset(
    {
        "", "null", "none", "nil", "n/a", "na", "undefined", "redacted", "<redacted>", "[redacted]", "(redacted)",
        "hidden", "<hidden>", "masked", "<masked>", "removed", "<removed>", "[filtered]", "filtered", "secret",
        "<secret>", "password", "<password>", "your_password", "your-password", "yourpassword", "your_api_key",
        "your-api-key", "<api_key>", "<token>", "your_token", "xxx", "todo", "tbd", "true", "false",
        "yes", "no", "0", "1", "-", "--", "不可见", "已隐藏", "已脱敏", "空",
    }
)  # fmt: skip
_MASK_CHARACTERS = frozenset("*•●·xX#.-_ ")  # bullets and crosses that masks are drawn with
_TEMPLATE_REFERENCE = re.compile(
    r"\$\{[^{}]{1,100}\}|\{\{[^{}]{1,100}\}\}|%\([A-Za-z_]{1,40}\)s|\$[A-Z_][A-Z0-9_]{1,60}|<[A-Za-z_ \-]{1,40}>"
    r"|(?i:env|vault|ssm|secretsmanager|keyvault|arn:aws:secretsmanager)(?::|://)\S{1,200}"
)


def is_credential(value: str) -> bool:
    """Whether a whole value (under a secret key: password, api_key, 密码 ...) is a secret: any non-empty string
    but placeholders (``***``, ``<redacted>``, ``null``, ``true``) and references to a secret kept elsewhere
    (``${DB_PASSWORD}``, ``{{ secret }}``, ``vault:...``)."""
    stripped = value.strip()
    if stripped.lower() in _PLACEHOLDERS or _MASK_CHARACTERS.issuperset(stripped):
        return False
    if _DECIMAL.fullmatch(stripped):
        return False  # 25.4 under "mm" (密码's initials, and millimetres) is a measurement
    return _TEMPLATE_REFERENCE.fullmatch(stripped) is None


_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+")


_PEM_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?P<label>(?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----"
    r"(?:[A-Za-z0-9+/=:,\-\s]{0,16384}?-----END (?P=label)-----|[A-Za-z0-9+/=:,\-\s]{0,16384})"
)
_API_KEYS = re.compile(
    r"(?:AKIA|ASIA)[0-9A-Z]{16}"  # AWS access key id
    r"|gh[pousr]_[A-Za-z0-9]{36}"  # GitHub classic tokens
    r"|github_pat_[A-Za-z0-9_]{50,255}"  # GitHub fine-grained tokens
    r"|xox[abprs]-[A-Za-z0-9\-]{10,250}"  # Slack
    r"|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}"  # Stripe secret and restricted keys (test keys are secrets too)
    r"|AIza[0-9A-Za-z_\-]{35}"  # Google API key
    r"|sk-(?:proj-|svcacct-|admin-|ant-[a-z0-9]{2,10}-)?[A-Za-z0-9_\-]{32,200}"  # OpenAI / Anthropic style
)
# Cheap tests before the key pattern: one C-level search per group of prefixes.
_API_KEY_PREFIXES_UPPER = re.compile("A(?:KIA|SIA|Iza)")  # a one-letter literal prefix: memchr-speed search
_API_KEY_PREFIXES_UNDERSCORE = ("gh", "_live_", "_test_")  # ghp_ gho_ ... github_pat_, sk_live_ rk_test_ ...
_API_KEY_PREFIXES_DASH = ("xox", "sk-")
_SECRET_CUE = re.compile(
    r"(?<![A-Za-z0-9_])(?:password|passwd|pwd|passcode|passphrase|secret|client[_\-]?secret|api[_\-]?key"
    r"|access[_\-]?token|auth[_\-]?token|refresh[_\-]?token|secret[_\-]?key|access[_\-]?key[_\-]?secret"
    r"|aws_secret_access_key|token)(?![A-Za-z0-9_])"
    r"[\"']?[ \t]{0,3}(?P<op>[=:：])[ \t]{0,3}(?P<quote>[\"']?)"
    r"(?P<value>[^\s\"'&,;<>]{1,256})",
    re.IGNORECASE,
)
_SECRET_CUE_ZH = re.compile(
    r"(?:密码|口令|密钥)(?:[ \t]{0,3}(?P<op>[:：=]|为|是)[ \t]{0,3}|[ \t]{1,3})[\"'“]?(?P<value>[\x21-\x7e]{1,128})"
)
_BEARER = re.compile(r"(?<![A-Za-z])[Bb]earer +(?P<value>[A-Za-z0-9\-._~+/]{20,4096}=*)")
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]{1,20}://[^\s:/@]{1,64}:(?P<value>[^\s@/]{1,128})@")
_SECRET_CUE_WORDS_LOWER = ("pass", "pwd", "secret", "token", "key")
_SECRET_CUE_WORDS_ZH = ("密码", "口令", "密钥")
_MIN_UNQUOTED_SECRET = 6
_TRAILING_PUNCTUATION = ".,;:)]}"  # sentence ends; "!" and "?" are common password characters


def _plausible_cued_secret(value: str, *, quoted: bool, assigned: bool) -> bool:
    """Whether the text after ``password:`` looks like a secret rather than prose (``password: please reset``).

    After ``=`` (a query string, a config line) or in quotes any non-placeholder counts; after a colon it needs
    six characters with a digit, a symbol or mixed case.
    """
    if not is_credential(value):
        return False
    if quoted or assigned:
        return True
    if len(value) < _MIN_UNQUOTED_SECRET:
        return False
    has_digit = any(c.isdigit() for c in value)
    has_symbol = any(not c.isalnum() for c in value)
    mixed_case = any(c.isupper() for c in value) and any(c.islower() for c in value)
    return has_digit or has_symbol or mixed_case


def find_secrets(text: str) -> list[Span]:
    """Secrets in free text: PEM private key blocks (BEGIN to END line, or to the end of a truncated body), API keys
    with a fixed prefix (AWS, GitHub, Slack, Stripe, Google, OpenAI-style), bearer tokens, passwords in URLs
    (``https://user:pw@host``) and values after ``password=``, ``api_key:``, ``密码:`` (the value only). The word
    "password" alone is not a secret."""
    if len(text) < 6:
        return []
    spans: list[Span] = []
    if "-----BEGIN" in text:
        spans.extend(m.span() for m in _PEM_PRIVATE_KEY.finditer(text))
    if _may_hold_api_key(text):
        spans.extend(_api_keys(text))
    if "earer " in text:
        spans.extend(m.span("value") for m in _BEARER.finditer(text))
    if "@" in text and "://" in text:
        spans.extend(m.span("value") for m in _URL_PASSWORD.finditer(text) if is_credential(m.group("value")))
    if not text.isascii() and any(word in text for word in _SECRET_CUE_WORDS_ZH):
        spans.extend(_cued_secrets_zh(text))
    if ("=" in text or ":" in text or "：" in text) and any(w in text.lower() for w in _SECRET_CUE_WORDS_LOWER):
        spans.extend(_cued_secrets(text))
    return _merge(spans)


def _may_hold_api_key(text: str) -> bool:
    if "_" in text and any(prefix in text for prefix in _API_KEY_PREFIXES_UNDERSCORE):
        return True
    if "-" in text and any(prefix in text for prefix in _API_KEY_PREFIXES_DASH):
        return True
    return "A" in text and _API_KEY_PREFIXES_UPPER.search(text) is not None


def _api_keys(text: str) -> Iterable[Span]:
    for key in _API_KEYS.finditer(text):
        start, end = key.span()
        if _word_bounded(text, start, end) and _plausible_key(key.group()):
            yield start, end


def _cued_secrets_zh(text: str) -> Iterable[Span]:
    for cued in _SECRET_CUE_ZH.finditer(text):
        if _TEMPLATE_REFERENCE.fullmatch(cued.group("value")):
            continue  # ${PASSWORD}: a reference to a secret kept elsewhere, before its brace is taken for punctuation
        value = cued.group("value").rstrip(_TRAILING_PUNCTUATION)
        # "密码 Tiger3107!sum" (a space, no colon) asks for a secret's shape, as "password: ..." does.
        if is_credential(value) and (cued.group("op") or _plausible_cued_secret(value, quoted=False, assigned=False)):
            yield cued.start("value"), cued.start("value") + len(value)


def _cued_secrets(text: str) -> Iterable[Span]:
    for cued in _SECRET_CUE.finditer(text):
        if _TEMPLATE_REFERENCE.fullmatch(cued.group("value")):
            continue  # api_key: ${API_KEY} names a secret, it is not one
        quoted = bool(cued.group("quote"))
        value = cued.group("value") if quoted else cued.group("value").rstrip(_TRAILING_PUNCTUATION)
        if _plausible_cued_secret(value, quoted=quoted, assigned=cued.group("op") == "="):
            yield cued.start("value"), cued.start("value") + len(value)


def _plausible_key(token: str) -> bool:
    """Fixed-prefix keys are random; ``sk-`` also starts words (``sk-learn-compatible-estimators``), so an
    OpenAI-style key needs digits and both letter cases."""
    if not token.startswith("sk-"):
        return True
    digits = sum(c.isdigit() for c in token)
    return digits >= 2 and any(c.isupper() for c in token) and any(c.islower() for c in token)
