"""Plausible names: Korean names by birth cohort and sex, and foreign names by nationality (romanised and in Hangul).

Korean names collide heavily — a handful of surnames cover most people and each generation favoured a few given
names — and record linkage must cope with that, so the generator reproduces it: surnames follow the 2015 census
frequencies, given names are drawn mostly from each cohort's popular names and otherwise from common syllables.
Everything is vectorised: a name is a pair of indices into the tables below, joined into strings by Arrow.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Surnames with their share of the population in per cent (Statistics Korea, 2015 census: 김 21.5, 이 14.7,
# 박 8.4, 최 4.7, 정 4.3, …). The long tail is shortened; weights are normalised when drawn.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("김", 21.5), ("이", 14.7), ("박", 8.4), ("최", 4.7), ("정", 4.3), ("강", 2.4), ("조", 2.1), ("윤", 2.1),
    ("장", 2.0), ("임", 1.7), ("한", 1.5), ("오", 1.5), ("서", 1.5), ("신", 1.5), ("권", 1.4), ("황", 1.4),
    ("안", 1.4), ("송", 1.3), ("전", 1.1), ("홍", 1.1), ("유", 1.1), ("고", 0.9), ("문", 0.9), ("양", 0.9),
    ("손", 0.9), ("배", 0.8), ("백", 0.7), ("허", 0.6), ("남", 0.6), ("심", 0.5), ("노", 0.5), ("하", 0.5),
    ("곽", 0.4), ("성", 0.4), ("차", 0.4), ("주", 0.4), ("우", 0.4), ("구", 0.4), ("민", 0.3), ("류", 0.3),
    ("나", 0.3), ("진", 0.3), ("지", 0.3), ("엄", 0.3), ("채", 0.3), ("원", 0.3), ("천", 0.2), ("방", 0.2),
    ("공", 0.2), ("현", 0.2), ("함", 0.2), ("변", 0.2), ("염", 0.1), ("여", 0.1), ("추", 0.1), ("도", 0.1),
    ("소", 0.1), ("석", 0.1), ("선", 0.1), ("설", 0.1), ("마", 0.1), ("길", 0.1), ("연", 0.1), ("위", 0.1),
    ("표", 0.1), ("명", 0.1), ("기", 0.1), ("반", 0.1), ("왕", 0.1), ("금", 0.1), ("옥", 0.1), ("육", 0.1),
    ("인", 0.1), ("맹", 0.1), ("제", 0.1), ("모", 0.1), ("탁", 0.05), ("국", 0.05), ("어", 0.05), ("은", 0.05),
    ("편", 0.05), ("용", 0.05), ("남궁", 0.04), ("황보", 0.02), ("제갈", 0.01), ("선우", 0.01), ("독고", 0.01),
)  # fmt: skip

# Popular given names by birth cohort (first year of the cohort) and sex, most popular first. Compiled from the
# name rankings commonly reported from birth registrations (대법원 전자가족관계등록시스템) and older surveys.
COHORTS: tuple[int, ...] = (0, 1950, 1960, 1970, 1980, 1990, 2000, 2010)
POPULAR: dict[tuple[int, str], tuple[str, ...]] = {
    (0, "M"): ("영수", "영호", "영식", "정수", "정호", "상철", "영철", "광수", "종수", "성수", "병철", "재호",
               "용수", "순철", "만수", "춘식", "명수", "정식", "기철", "동수"),
    (0, "F"): ("순자", "영자", "정자", "영숙", "춘자", "정순", "옥순", "말순", "순이", "경자", "정숙", "영희",
               "순옥", "명자", "옥자", "분순", "복순", "화자", "길자", "순덕"),
    (1950, "M"): ("영수", "영호", "영철", "정수", "상철", "성수", "영식", "정호", "광수", "종수", "용호", "병철",
                  "영진", "성호", "재수", "영길", "동철", "상호", "명수", "진호"),
    (1950, "F"): ("영숙", "영자", "정숙", "정자", "순자", "영희", "명숙", "경자", "정희", "춘자", "영순", "정순",
                  "옥순", "숙자", "명자", "미자", "순옥", "영미", "경숙", "혜숙"),
    (1960, "M"): ("영수", "성호", "영호", "정호", "영철", "성수", "상철", "정수", "영진", "진호", "성진", "동수",
                  "종호", "상호", "병철", "재호", "광호", "영민", "성훈", "승호"),
    (1960, "F"): ("미숙", "영숙", "경숙", "정숙", "미경", "경희", "영희", "순희", "정희", "명숙", "현숙", "혜숙",
                  "영미", "미자", "은숙", "미영", "정미", "경자", "영순", "숙희"),
    (1970, "M"): ("성호", "성훈", "정훈", "상훈", "성진", "영진", "동현", "재현", "성민", "정민", "상현", "준호",
                  "영훈", "성수", "지훈", "재훈", "종민", "승철", "기훈", "민호"),
    (1970, "F"): ("미경", "미영", "은주", "은정", "미정", "현주", "은희", "정희", "경희", "미숙", "영미", "선영",
                  "은영", "현정", "지영", "혜정", "미라", "정아", "수진", "은경"),
    (1980, "M"): ("지훈", "성민", "현우", "준호", "정훈", "동현", "민수", "상현", "준영", "현석", "성훈", "재현",
                  "민호", "승현", "정민", "영훈", "태호", "진우", "상훈", "민석"),
    (1980, "F"): ("지혜", "지영", "은정", "수진", "미진", "혜진", "은영", "현정", "선영", "지현", "은지", "지은",
                  "유진", "소영", "미영", "혜영", "민정", "수정", "정은", "보람"),
    (1990, "M"): ("민수", "현우", "지훈", "동현", "준호", "민재", "성민", "승현", "준형", "재원", "민준", "도현",
                  "현준", "진우", "승민", "준혁", "상우", "우진", "민혁", "태훈"),
    (1990, "F"): ("지은", "수빈", "지현", "민지", "유진", "혜원", "수연", "지원", "예진", "은지", "지혜", "민정",
                  "혜진", "소연", "다은", "가영", "수진", "지영", "아름", "슬기"),
    (2000, "M"): ("민준", "현우", "동현", "준영", "지훈", "민재", "지호", "승민", "도현", "건우", "준서", "현준",
                  "민성", "우진", "성민", "준혁", "승현", "예준", "지환", "시우"),
    (2000, "F"): ("서연", "민서", "지민", "서현", "수빈", "예은", "하은", "유진", "지우", "채원", "지원", "수민",
                  "윤서", "예린", "민지", "지유", "다은", "예원", "서영", "현지"),
    (2010, "M"): ("민준", "서준", "도윤", "예준", "시우", "하준", "주원", "지호", "지후", "준우", "준서", "건우",
                  "도현", "현우", "유준", "이준", "은우", "선우", "서진", "연우"),
    (2010, "F"): ("서윤", "서연", "지우", "하윤", "하은", "지유", "수아", "민서", "서아", "이서", "윤서", "지아",
                  "채원", "지민", "다은", "예은", "소율", "수빈", "아린", "시아"),
}  # fmt: skip

# Syllables for the long tail of given names (first and second syllable), by sex.
SYLLABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "M": (
        ("성", "정", "영", "상", "재", "동", "민", "준", "현", "승", "종", "진", "태", "기", "용", "병", "한",
         "석", "우", "지", "명", "창", "경", "광", "형", "세", "도", "희", "윤", "규"),
        ("호", "수", "민", "훈", "진", "현", "철", "우", "석", "준", "환", "규", "식", "근", "원", "혁", "기",
         "섭", "욱", "범", "길", "남", "일", "연", "국", "영", "태", "빈", "모", "열"),
    ),
    "F": (
        ("미", "은", "지", "혜", "수", "정", "영", "현", "경", "선", "민", "유", "소", "서", "하", "예", "윤",
         "순", "명", "옥", "희", "연", "주", "채", "다", "보", "나", "효", "신", "가"),
        ("영", "정", "희", "숙", "진", "경", "현", "미", "은", "주", "연", "아", "자", "순", "원", "민", "윤",
         "란", "빈", "서", "지", "혜", "선", "나", "림", "화", "령", "애", "옥", "리"),
    ),
}  # fmt: skip

# Share of Korean given names drawn from the cohort's popular list rather than the syllable tail; with Zipf
# weights this gives ≈ 2,000 distinct full names among 5,000 people (docs/facts.md, linkage anchors).
POPULAR_SHARE = 0.97
ZIPF_EXPONENT = 1.3

# Foreign names: (romanised surname, Hangul), male given names, female given names (romanised, Hangul). The
# foreign registration card carries the romanised name, surname first; agencies often write it in Hangul.
FOREIGN: dict[str, tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]] = {
    "CN": (
        (("WANG", "왕"), ("LI", "리"), ("ZHANG", "장"), ("LIU", "류"), ("CHEN", "천"), ("YANG", "양"),
         ("ZHAO", "자오"), ("HUANG", "황"), ("JIN", "진"), ("PIAO", "퍄오"), ("CUI", "추이"), ("ZHOU", "저우")),
        (("WEI", "웨이"), ("LEI", "레이"), ("JUN", "쥔"), ("HAO", "하오"), ("MING", "밍"), ("JIANHUA", "젠화"),
         ("YONG", "융"), ("TAO", "타오"), ("CHENG", "청"), ("ZHIQIANG", "즈창")),
        (("FANG", "팡"), ("NA", "나"), ("JING", "징"), ("YAN", "옌"), ("HUI", "후이"), ("XIULAN", "슈란"),
         ("LI", "리"), ("MEI", "메이"), ("XIA", "샤"), ("HONG", "훙")),
    ),
    "VN": (
        (("NGUYEN", "응우옌"), ("TRAN", "쩐"), ("LE", "레"), ("PHAM", "팜"), ("HOANG", "호앙"), ("VU", "부"),
         ("DANG", "당"), ("BUI", "부이"), ("DO", "도"), ("NGO", "응오")),
        (("VAN HUNG", "반훙"), ("VAN NAM", "반남"), ("DUC ANH", "득아인"), ("MINH TUAN", "민뚜언"),
         ("VAN DUNG", "반중"), ("QUANG HUY", "꽝후이"), ("VAN LONG", "반롱"), ("THANH SON", "타인선")),
        (("THI HOA", "티호아"), ("THI LAN", "티란"), ("THI MAI", "티마이"), ("THI LINH", "티린"),
         ("THI HUONG", "티흐엉"), ("THI THAO", "티타오"), ("THI NGOC", "티응옥"), ("THI TRANG", "티짱")),
    ),
    "TH": (
        (("SRISUK", "시숙"), ("SAETANG", "새땅"), ("WONGSA", "웡사"), ("BOONMA", "분마"), ("CHAIYA", "차이야"),
         ("KAEWKLA", "깨우끌라")),
        (("SOMCHAI", "솜차이"), ("SOMSAK", "솜삭"), ("PRASERT", "쁘라섯"), ("ANAN", "아난"), ("CHATCHAI", "찻차이")),
        (("SUDA", "수다"), ("MALEE", "말리"), ("SOMPONG", "솜퐁"), ("NAPAPORN", "나파펀"), ("KANYA", "깐야")),
    ),
    "UZ": (
        (("ALIEV", "알리예프"), ("KARIMOV", "카리모프"), ("RAKHIMOV", "라히모프"), ("YUSUPOV", "유수포프"),
         ("TASHKENTOV", "타슈켄토프")),
        (("RUSTAM", "루스탐"), ("SARDOR", "사르도르"), ("BOBUR", "보부르"), ("JASUR", "자수르"),
         ("AZIZ", "아지즈")),
        (("DILNOZA", "딜노자"), ("GULNARA", "굴나라"), ("MADINA", "마디나"), ("NIGORA", "니고라"),
         ("ZARINA", "자리나")),
    ),
    "PH": (
        (("SANTOS", "산토스"), ("REYES", "레예스"), ("CRUZ", "크루스"), ("BAUTISTA", "바우티스타"),
         ("GARCIA", "가르시아"), ("MENDOZA", "멘도사")),
        (("JOSE", "호세"), ("MARK", "마크"), ("JOHN PAUL", "존폴"), ("RAMON", "라몬"),
         ("MICHAEL", "마이클")),
        (("MARIA", "마리아"), ("ANGELICA", "안젤리카"), ("JOY", "조이"), ("KRISTINE", "크리스틴"),
         ("ROSALIE", "로잘리")),
    ),
    "KH": (
        (("SOK", "속"), ("CHAN", "찬"), ("KIM", "킴"), ("SENG", "셍"), ("PHAL", "팔")),
        (("DARA", "다라"), ("VANNA", "반나"), ("SOPHAL", "소팔"), ("RITHY", "리티")),
        (("SREYMOM", "스레이몸"), ("CHANTHA", "찬타"), ("SOPHEAP", "소피읍"), ("BOPHA", "보파")),
    ),
    "NP": (
        (("GURUNG", "구룽"), ("TAMANG", "타망"), ("SHRESTHA", "쉬레스타"), ("RAI", "라이"), ("MAGAR", "마가르")),
        (("RAM", "람"), ("BIKASH", "비카시"), ("SURESH", "수레시"), ("DIPAK", "디팍")),
        (("SITA", "시타"), ("GITA", "기타"), ("ANITA", "아니타"), ("SABINA", "사비나")),
    ),
    "ID": (
        (("SAPUTRA", "사푸트라"), ("WIJAYA", "위자야"), ("SETIAWAN", "세티아완"), ("HIDAYAT", "히다얏")),
        (("BUDI", "부디"), ("AGUS", "아구스"), ("RIZKY", "리즈키"), ("DWI", "드위")),
        (("SITI", "시티"), ("DEWI", "데위"), ("PUTRI", "푸트리"), ("RINA", "리나")),
    ),
    "MN": (
        (("BATBAYAR", "바트바야르"), ("GANBOLD", "간볼드"), ("DORJ", "도르지"), ("TSEND", "체렌")),
        (("BATAA", "바타"), ("ERDENE", "에르덴"), ("TEMUULEN", "테무렌")),
        (("ALTANTSETSEG", "알탄체첵"), ("OYUNAA", "오유나"), ("SARANGEREL", "사랑게렐")),
    ),
    "RU": (
        (("IVANOV", "이바노프"), ("PAK", "박"), ("KIM", "김"), ("TEN", "텐"), ("SMIRNOV", "스미르노프")),
        (("SERGEI", "세르게이"), ("ALEKSANDR", "알렉산드르"), ("DMITRII", "드미트리"), ("VIKTOR", "빅토르")),
        (("OLGA", "올가"), ("NATALIA", "나탈리아"), ("ELENA", "옐레나"), ("SVETLANA", "스베틀라나")),
    ),
    "US": (
        (("SMITH", "스미스"), ("JOHNSON", "존슨"), ("WILLIAMS", "윌리엄스"), ("BROWN", "브라운"), ("LEE", "리")),
        (("JAMES", "제임스"), ("DAVID", "데이비드"), ("DANIEL", "대니얼"), ("MATTHEW", "매슈")),
        (("JENNIFER", "제니퍼"), ("SARAH", "세라"), ("EMILY", "에밀리"), ("JESSICA", "제시카")),
    ),
    "KZ": (
        (("NURLANOV", "누를라노프"), ("AKHMETOV", "아흐메토프"), ("KIM", "김"), ("TEN", "텐")),
        (("ARMAN", "아르만"), ("NURLAN", "누를란"), ("DAULET", "다울렛")),
        (("AIGERIM", "아이게림"), ("DINARA", "디나라"), ("ASEL", "아셀")),
    ),
    "MM": (
        (("AUNG", "아웅"), ("KYAW", "쪼"), ("HTUN", "툰"), ("WIN", "윈")),
        (("MIN THU", "민투"), ("ZAW", "조"), ("NAING", "나잉")),
        (("THANDAR", "딴다"), ("SU SU", "수수"), ("HNIN", "닌")),
    ),
    "LK": (
        (("PERERA", "페레라"), ("FERNANDO", "페르난도"), ("SILVA", "실바"), ("BANDARA", "반다라")),
        (("NUWAN", "누완"), ("KASUN", "카순"), ("CHAMARA", "차마라")),
        (("DILANI", "딜라니"), ("NADEESHA", "나디샤"), ("CHAMARI", "차마리")),
    ),
    "JP": (
        (("SATO", "사토"), ("SUZUKI", "스즈키"), ("TAKAHASHI", "다카하시"), ("TANAKA", "다나카"), ("ITO", "이토")),
        (("HIROSHI", "히로시"), ("TAKESHI", "다케시"), ("KENJI", "겐지"), ("YUTA", "유타")),
        (("YUKO", "유코"), ("AKIKO", "아키코"), ("MIKI", "미키"), ("HARUKA", "하루카")),
    ),
}  # fmt: skip


def _zipf(n: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** ZIPF_EXPONENT
    return weights / weights.sum()


_SURNAME_TEXT = pa.array([s for s, _ in SURNAMES])
_SURNAME_P = np.array([w for _, w in SURNAMES]) / sum(w for _, w in SURNAMES)

# One vocabulary of given names: all popular names, then every syllable pair of each sex.
_GIVEN: list[str] = []
_POPULAR_INDEX: dict[tuple[int, str], np.ndarray] = {}
for (_cohort, _sex), _names in POPULAR.items():
    _POPULAR_INDEX[(_cohort, _sex)] = np.arange(len(_GIVEN), len(_GIVEN) + len(_names))
    _GIVEN.extend(_names)
_TAIL_START: dict[str, int] = {}
for _sex, (_first, _second) in SYLLABLES.items():
    _TAIL_START[_sex] = len(_GIVEN)
    _GIVEN.extend(a + b for a in _first for b in _second)
_GIVEN_TEXT = pa.array(_GIVEN)
_TAIL_SIZE = {sex: len(a) * len(b) for sex, (a, b) in SYLLABLES.items()}


def draw_surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    """Surname indices (into SURNAMES) by census frequency."""
    return rng.choice(len(SURNAMES), size=n, p=_SURNAME_P).astype(np.int16)


def draw_given(rng: np.random.Generator, birth_year: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Given-name indices into the vocabulary, fashionable for each person's birth cohort and sex."""
    n = len(birth_year)
    cohort = np.searchsorted(np.array(COHORTS[1:]), birth_year, side="right")
    out = np.empty(n, dtype=np.int32)
    popular = rng.random(n) < POPULAR_SHARE
    tail_draw = rng.random(n)
    rank_draw = rng.random(n)
    for sex, is_sex in (("M", male), ("F", ~male)):
        start, size = _TAIL_START[sex], _TAIL_SIZE[sex]
        tail = is_sex & ~popular
        out[tail] = start + (tail_draw[tail] * size).astype(np.int32)
        for c, first_year in enumerate(COHORTS):
            chosen = is_sex & popular & (cohort == c)
            index = _POPULAR_INDEX[(first_year, sex)]
            cdf = np.cumsum(_zipf(len(index)))
            pick = np.minimum(np.searchsorted(cdf, rank_draw[chosen]), len(index) - 1)
            out[chosen] = index[pick]
    return out


def korean_names(surname: np.ndarray, given: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(_SURNAME_TEXT.take(pa.array(surname)), _GIVEN_TEXT.take(pa.array(given)), "")


# Foreign names are flattened the same way: per nationality a block of surnames and given names.
FOREIGN_CODES: tuple[str, ...] = tuple(FOREIGN)
_F_SURNAME_ROMAN: list[str] = []
_F_SURNAME_HANGUL: list[str] = []
_F_GIVEN_ROMAN: list[str] = []
_F_GIVEN_HANGUL: list[str] = []
_F_BLOCKS: dict[str, tuple[int, int, int, int, int, int]] = {}
for _code, (_surnames, _male, _female) in FOREIGN.items():
    s0, m0 = len(_F_SURNAME_ROMAN), len(_F_GIVEN_ROMAN)
    _F_SURNAME_ROMAN.extend(r for r, _ in _surnames)
    _F_SURNAME_HANGUL.extend(h for _, h in _surnames)
    _F_GIVEN_ROMAN.extend(r for r, _ in _male)
    _F_GIVEN_HANGUL.extend(h for _, h in _male)
    f0 = len(_F_GIVEN_ROMAN)
    _F_GIVEN_ROMAN.extend(r for r, _ in _female)
    _F_GIVEN_HANGUL.extend(h for _, h in _female)
    _F_BLOCKS[_code] = (s0, len(_surnames), m0, len(_male), f0, len(_female))


def foreign_names(
    rng: np.random.Generator, nationality: np.ndarray, male: np.ndarray, surname_u: np.ndarray
) -> tuple[pa.Array, pa.Array]:
    """Romanised ("NGUYEN THI HOA") and Hangul ("응우옌티호아") forms of foreign names, by nationality and sex.
    `surname_u` (uniform in [0, 1)) picks the surname, so that family members given the same draw share it."""
    n = len(nationality)
    s_idx = np.zeros(n, dtype=np.int32)
    g_idx = np.zeros(n, dtype=np.int32)
    u_s, u_g = surname_u, rng.random(n)
    for code, (s0, sn, m0, mn, f0, fn) in _F_BLOCKS.items():
        mine = nationality == code
        if not mine.any():
            continue
        s_idx[mine] = s0 + (u_s[mine] * sn).astype(np.int32)
        men, women = mine & male, mine & ~male
        g_idx[men] = m0 + (u_g[men] * mn).astype(np.int32)
        g_idx[women] = f0 + (u_g[women] * fn).astype(np.int32)
    s, g = pa.array(s_idx), pa.array(g_idx)
    roman = pc.binary_join_element_wise(pa.array(_F_SURNAME_ROMAN).take(s), pa.array(_F_GIVEN_ROMAN).take(g), " ")
    hangul = pc.binary_join_element_wise(pa.array(_F_SURNAME_HANGUL).take(s), pa.array(_F_GIVEN_HANGUL).take(g), "")
    return roman, hangul


def korean_name_list(rng: np.random.Generator, n: int, *, birth_year: int = 1975) -> list[str]:
    """A few names for staff and volunteers (not on the hot path)."""
    male = rng.random(n) < 0.5
    years = np.full(n, birth_year) + rng.integers(-15, 15, n)
    return korean_names(draw_surnames(rng, n), draw_given(rng, years, male)).to_pylist()
