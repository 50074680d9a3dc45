"""What the demo city's resources are made of: the directory's providers and services, the donors' names, the goods
of the food market, the designations and programmes, the volunteers' availability and activities.

Plain data in Korean, as the district's records would hold it. Won values of 긴급복지지원 services are the year's
figures of intake/emergency_amounts.toml (docs/facts.md); the rest are plausible amounts, not statistics. The other
modules of the package draw from these lists.
"""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------- the directory

# Who provides a service, by the role the provider plays in a district. A role names a registry agency (found by its
# kind and, for welfare centres, a word of its name) or, for `own:` roles, a provider known only to the directory.
DISTRICT_UNIT, DONG_CENTRE, HEALTH_CENTRE = "district_unit", "dong_centre", "health_centre"
WELFARE_GENERAL, WELFARE_ELDERLY, WELFARE_DISABLED = "welfare_general", "welfare_elderly", "welfare_disabled"
SELF_SUFFICIENCY, FOUNDATION, FOOD_BANK = "self_sufficiency", "foundation", "food_bank"
FAMILY_CENTRE, HOUSING, MEDICAL = "family_centre", "housing", "medical"


@dataclass(frozen=True)
class ProviderSpec:
    """A provider the registry does not hold: its name (with {city}, {district} or {dong}) and sector."""

    name: str
    sector: str
    description: str
    per_dong: bool = False


OWN_PROVIDERS: dict[str, ProviderSpec] = {
    "own:mental_health": ProviderSpec(
        "{district} 정신건강복지센터", "public", "정신건강 위기상담, 자살 예방, 중독 상담을 하는 공공 센터"
    ),
    "own:jobs": ProviderSpec("{district} 일자리지원센터", "public", "구청이 운영하는 취업 상담·알선 창구"),
    "own:legal_aid": ProviderSpec(
        "대한법률구조공단 {city}출장소", "public", "저소득층 무료 법률상담과 소송 구조를 하는 공공기관"
    ),
    "own:children": ProviderSpec(
        "{district} 지역아동센터협의회", "private", "구내 지역아동센터들의 협의체: 방과후 돌봄과 급식 연계"
    ),
    "own:repairs": ProviderSpec("{city} 사랑의 집수리 나눔단", "private", "건축·전기 기술자들이 모인 재능나눔 단체"),
    "own:volunteer_centre": ProviderSpec(
        "{city} 자원봉사센터", "private", "자원봉사자 모집·교육과 수요처 연계 (1365 자원봉사포털 연계 기관)"
    ),
    "own:violence": ProviderSpec(
        "{district} 가정폭력상담소", "private", "가정폭력 피해 상담, 긴급 피난처 연계, 법률 지원 안내"
    ),
    "own:community_chest": ProviderSpec(
        "{city} 사회복지공동모금회", "private", "사랑의열매 모금으로 위기가정 긴급지원과 복지사업을 배분"
    ),
    "own:study_room": ProviderSpec(
        "{dong} 꿈나무지역아동센터", "private", "방과후 돌봄, 학습 지도, 저녁 급식을 하는 지역아동센터", per_dong=True
    ),
}


@dataclass(frozen=True)
class ServiceSpec:
    provider: str  # a role above, or an `own:` provider
    name: str  # {district}, {dong} and {city} are filled in
    domains: tuple[str, ...]
    sector: str
    unit_won: int
    unit_label: str
    capacity: int | None  # households a month in a district of 10,000 households; scaled with its size
    eligibility: str
    description: str
    area: str = "district"  # "district": the district; "dong": the provider's dong; "none": anywhere
    status: str = "active"
    # A 긴급복지지원 kind (intake.models.EmergencyKind): its won value per unit is the year's figure for one person in
    # intake/emergency_amounts.toml, where the amounts the law fixes are kept (`unit_won` is not used then).
    emergency: str = ""


SERVICES: tuple[ServiceSpec, ...] = (
    # 희망복지지원단: the public emergency support (긴급복지지원, 2026 amounts) and case management.
    ServiceSpec(DISTRICT_UNIT, "긴급복지지원 생계지원", ("economy", "daily_living"), "public", 0, "1인 가구 월",
                60, "갑작스러운 위기로 생계가 어려운 가구, 기준중위소득 75% 이하",
                "주 소득자의 사망·실직·질병 등 위기 사유가 있을 때 선지원 후조사로 생계비를 지원 (3개월, 최대 6개월)",
                emergency="livelihood"),
    ServiceSpec(DISTRICT_UNIT, "긴급복지지원 주거지원", ("living_environment", "economy"), "public", 0,
                "대도시 1~2인 월", 20, "거주지를 잃었거나 잃을 위기의 가구, 기준중위소득 75% 이하",
                "임시 거소의 임차료를 지원 (최대 12개월)", emergency="housing"),
    ServiceSpec(DISTRICT_UNIT, "긴급복지지원 의료지원", ("health",), "public", 0, "1회 최대", 10,
                "중한 질병·부상으로 의료비를 감당하기 어려운 가구",
                "본인부담금과 비급여 진료비를 1회 300만원까지 지원", emergency="medical"),
    ServiceSpec(DISTRICT_UNIT, "동절기 연료비 지원 (긴급복지)", ("economy", "living_environment"), "public", 0,
                "월 (10월~3월)", 40, "난방비를 내지 못해 위기에 처한 가구", "10월부터 3월까지 월 15만원의 연료비",
                emergency="fuel"),
    ServiceSpec(DISTRICT_UNIT, "통합사례관리", ("family", "social", "safety", "economy"), "public", 0, "",
                40, "복합적인 욕구가 있어 여러 기관의 지원이 필요한 가구",
                "희망복지지원단 통합사례관리사가 계획을 세우고 민관 자원을 연계"),
    # The dong centres: contact points for the public benefits.
    ServiceSpec(DONG_CENTRE, "{dong} 긴급복지·주거급여 신청 창구", ("economy", "living_environment"), "public", 0,
                "", None, "위기 사유가 있는 가구 (긴급복지), 기준중위소득 48% 이하 (주거급여)",
                "맞춤형복지팀이 상담하고 긴급복지지원, 기초생활보장, 주거급여 신청을 받는 창구", area="dong"),
    # The health centre.
    ServiceSpec(HEALTH_CENTRE, "방문건강관리 (취약계층 어르신)", ("health", "daily_living"), "public", 0, "", 80,
                "기초생활수급자, 차상위, 홀몸 어르신", "방문간호사가 가정을 찾아 혈압·혈당을 재고 건강 상담"),
    ServiceSpec(HEALTH_CENTRE, "치매안심센터 조기검진", ("health",), "public", 0, "", 60, "만 60세 이상 주민",
                "치매 선별검사와 진단검사비 지원, 치매 어르신 가족 상담"),
    # The district's general welfare centre runs the food market.
    ServiceSpec(WELFARE_GENERAL, "{district} 행복나눔 푸드마켓", ("daily_living", "economy"), "private", 50_000,
                "가구당 월 1회 (5만원 한도)", 150, "기초생활수급자, 차상위, 위기가구 (동 행정복지센터 추천)",
                "기부받은 식품과 생활용품을 이용자가 직접 고르는 나눔 마켓"),
    ServiceSpec(WELFARE_GENERAL, "밑반찬 배달", ("daily_living", "health"), "private", 30_000, "월 4회", 40,
                "혼자 식사를 챙기기 어려운 어르신과 장애인", "자원봉사자가 만든 밑반찬을 주 1회 배달하며 안부 확인"),
    ServiceSpec(WELFARE_GENERAL, "방과후 공부방", ("education", "family"), "private", 60_000, "아동 1명 월", 25,
                "저소득 가정의 초·중학생", "학습 지도와 저녁 식사, 방학 중 체험 활동"),
    ServiceSpec(WELFARE_GENERAL, "복지관 사례관리", ("family", "social"), "private", 0, "", 30,
                "지속적인 상담과 자원 연계가 필요한 가구", "사회복지사가 가정을 방문해 상담하고 서비스를 연계"),
    ServiceSpec(WELFARE_ELDERLY, "경로식당 무료 급식", ("daily_living", "health"), "private", 4_000, "1식", 80,
                "만 60세 이상 저소득 어르신", "평일 점심 무료 급식, 거동이 불편하면 도시락 배달"),
    ServiceSpec(WELFARE_ELDERLY, "노인맞춤돌봄서비스", ("daily_living", "social", "safety"), "public", 0, "", 120,
                "만 65세 이상 기초연금 수급 어르신 중 돌봄이 필요한 분",
                "생활지원사가 안부 확인, 가사 지원, 외출 동행을 하는 정부 사업 (복지관 수행)"),
    ServiceSpec(WELFARE_ELDERLY, "홀몸 어르신 말벗 안부 전화", ("social", "safety"), "private", 0, "", 100,
                "혼자 사는 어르신", "자원봉사자가 주 2회 전화로 안부를 묻고 이상이 있으면 방문"),
    ServiceSpec(WELFARE_DISABLED, "장애인 재활 프로그램", ("health", "social"), "private", 20_000, "월", 40,
                "등록 장애인", "물리치료, 작업치료, 사회적응 훈련"),
    ServiceSpec(WELFARE_DISABLED, "장애인 보조기기 대여", ("living_environment", "daily_living"), "private", 100_000,
                "1회 대여", 15, "등록 장애인과 보호자", "휠체어, 보행기, 목욕 의자 등을 무상 대여"),
    ServiceSpec(WELFARE_DISABLED, "이동목욕 서비스", ("daily_living", "health"), "private", 20_000, "1회", 20,
                "거동이 어려운 중증 장애인", "목욕 차량이 가정을 방문해 목욕 지원", status="temporarily closed"),
    ServiceSpec(SELF_SUFFICIENCY, "자활근로 사업단", ("employment", "economy"), "public", 1_400_000, "월 급여",
                30, "조건부 수급자, 차상위 근로 능력자", "청소·카페·집수리 사업단에서 일하며 기술을 익히는 자활근로"),
    ServiceSpec(SELF_SUFFICIENCY, "희망저축계좌 상담", ("economy",), "public", 100_000, "월 정부 지원금", 20,
                "일하는 생계·주거급여 수급 가구와 차상위 가구",
                "저축하면 정부가 근로소득장려금을 더해 주는 자산형성 지원"),
    ServiceSpec(FOUNDATION, "{district} 위기가정 긴급 생계비", ("economy",), "private", 500_000, "1가구 1회", 15,
                "공적 지원 기준에서 벗어났지만 생계가 어려운 가구",
                "정부 지원을 받지 못하는 사각지대 가구에 긴급 생계비"),
    ServiceSpec(FOUNDATION, "겨울 난방비 지원", ("economy", "living_environment"), "private", 300_000, "1가구 1회",
                30, "기준중위소득 100% 이하, 난방비 체납 가구", "동절기 난방비와 연료를 지원"),
    ServiceSpec(FOUNDATION, "저소득 가구 의료비 지원", ("health", "economy"), "private", 1_000_000, "1가구 연 1회",
                8, "의료비 부담으로 치료를 미루는 저소득 가구", "수술비, 입원비, 약제비 본인부담금 지원"),
    ServiceSpec(FOOD_BANK, "기초푸드뱅크 식품 꾸러미", ("daily_living",), "private", 30_000, "월 1회 꾸러미", 100,
                "결식 우려 가구, 저소득 홀몸 어르신", "기업과 개인이 기부한 식품을 꾸러미로 배달"),
    ServiceSpec(FAMILY_CENTRE, "다문화가족 방문교육", ("education", "family"), "public", 0, "", 20,
                "결혼이민자와 그 자녀", "방문교육지도사가 한국어와 자녀 양육을 가정에서 지도"),
    ServiceSpec(FAMILY_CENTRE, "통번역 지원", ("rights", "family"), "public", 0, "", 40,
                "한국어가 서툰 결혼이민자와 외국인 주민", "관공서·병원·학교 상담에 통번역사 동행"),
    ServiceSpec(HOUSING, "매입임대주택 주거상담", ("living_environment",), "public", 0, "", 15,
                "수급자, 차상위, 주거취약계층 (고시원·쪽방 거주자)", "매입임대·전세임대 주택 신청과 이주 지원 상담"),
    ServiceSpec(MEDICAL, "의료급여 환자 퇴원 연계", ("health",), "public", 0, "", 20,
                "퇴원 후 돌봄이 필요한 의료급여 수급자", "퇴원 전 방문 평가와 지역 돌봄 서비스 연계"),
    ServiceSpec(MEDICAL, "취약계층 진료비 감면", ("health", "economy"), "public", 500_000, "1회 최대", 20,
                "수급자, 차상위, 노숙인", "공공병원 진료비 본인부담금 감면"),
    ServiceSpec("own:mental_health", "정신건강 위기상담", ("health", "safety"), "public", 0, "", 30,
                "우울, 자살 위기, 알코올 문제로 어려움을 겪는 주민", "24시간 위기상담 전화와 방문 상담"),
    ServiceSpec("own:jobs", "취업상담·구직 알선", ("employment",), "public", 0, "", 50, "구직 중인 주민",
                "직업 상담, 구인 업체 연결, 국민취업지원제도 안내"),
    ServiceSpec("own:legal_aid", "무료 법률상담", ("rights",), "public", 0, "", 30,
                "기준중위소득 125% 이하 주민", "민사·가사·형사 법률상담과 소송 구조"),
    ServiceSpec("own:legal_aid", "개인회생·파산 상담", ("rights", "economy"), "public", 0, "", 10,
                "채무로 생활이 어려운 가구", "개인회생과 파산 신청 절차 상담, 서류 작성 지원"),
    ServiceSpec("own:children", "지역아동센터 돌봄 연계", ("education", "family"), "private", 0, "", 40,
                "돌봄이 필요한 저소득 가정 아동", "가까운 지역아동센터의 빈자리를 찾아 연계"),
    ServiceSpec("own:repairs", "사랑의 집수리 (도배·장판·전기)", ("living_environment", "safety"), "private",
                1_500_000, "1가구", 4, "주거환경이 열악한 저소득 가구",
                "도배, 장판, 전기·수도 수리를 재능나눔으로 시공"),
    ServiceSpec("own:volunteer_centre", "재능나눔 자원봉사 연계", ("social", "daily_living"), "private", 0, "", 60,
                "자원봉사가 필요한 가구와 기관", "말벗, 청소, 학습 지도, 차량 지원 자원봉사자를 연결"),
    ServiceSpec("own:violence", "가정폭력 피해 상담·보호", ("safety", "family", "rights"), "private", 0, "", 15,
                "가정폭력 피해자와 그 가족", "24시간 상담, 긴급 피난처와 보호시설 연계, 법률 지원"),
    ServiceSpec("own:community_chest", "사랑의열매 긴급지원", ("economy", "health"), "private", 1_000_000,
                "1가구 1회 최대", 6, "긴급한 위기에 처했으나 공적 지원을 받기 어려운 가구",
                "사회복지공동모금회 배분금으로 생계비·의료비·주거비를 긴급 지원"),
    ServiceSpec("own:study_room", "{dong} 방과후 돌봄", ("education", "family", "daily_living"), "private", 0, "",
                29, "돌봄이 필요한 18세 미만 아동", "방과후 돌봄, 학습 지도, 저녁 급식", area="dong"),
)  # fmt: skip

AGREEMENT_SCOPE = {
    "welfare": "통합사례관리 민관협력: 서비스 연계와 사례회의 참여, 동의받은 범위의 정보 공유, 푸드마켓 위탁 운영",
    "self_sufficiency": "자활사업 참여자 의뢰와 사례관리 협력, 자활근로 사업단 일자리 연계",
    "foundation": "사각지대 위기가구 긴급지원금 배분과 지정기탁금 관리 협력",
    "food_bank": "기부 식품의 수집·배분과 푸드마켓 물품 공급",
    "other": "복지 사각지대 발굴과 서비스 연계 협력, 분기별 실무협의회 참여",
}

# ------------------------------------------------------------------------------------------------- the ledger

COMPANY_STEMS = (
    "한빛", "새솔", "가람", "솔빛", "다온", "누리", "미리내", "별빛", "푸른", "한마음",
    "우리", "행복", "나눔", "정다운", "온누리", "햇살", "동행", "참좋은", "소망", "희망",
)  # fmt: skip
COMPANY_KINDS = (
    "식품(주)", "마트", "약국", "건설(주)", "제과", "정육점", "떡집", "내과의원", "치과", "유통(주)",
    "베이커리", "수산", "전자(주)", "신용협동조합", "에너지(주)", "한의원", "안경원", "주유소", "세탁소", "카센터",
)  # fmt: skip
# Groups named after the district or one of its dongs ({dong} groups give to their own dong).
DONG_GROUPS = ("{dong} 주민자치회", "{dong} 새마을부녀회", "{dong} 지역사회보장협의체", "{dong} 통장협의회")
OTHER_GROUPS = (
    "{city} 라이온스클럽", "{city} 로타리클럽", "{district} 적십자봉사회", "{district} 어린이집연합회",
    "{city} 개인택시조합", "{district} 여성단체협의회", "{city} 청년회의소", "{district} 교회연합회",
    "{district} 불교봉사회", "{city}중학교 학생회", "{district} 의사회", "{district} 상인연합회",
)  # fmt: skip
PUBLIC_DONOR = "{district}청 복지정책과 (구비)"

# Purposes a gift may be designated to, with the months money for them is given and what one household receives.
PURPOSES: dict[str, tuple[tuple[int, ...], int, int]] = {
    "난방비": ((11, 12, 1, 2), 100_000, 300_000),
    "김장": ((11, 12), 50_000, 100_000),
    "명절 위문": ((1, 2, 9, 10), 50_000, 150_000),
    "교육비": ((2, 3, 8), 100_000, 300_000),
    "의료비": ((), 200_000, 1_000_000),
}
# Groups of households a gift may be designated to (the generator decides who belongs from the registry).
ELDERLY_ALONE, SINGLE_PARENT, DISABLED, GRANDPARENTS = "홀몸 어르신", "한부모가정", "장애인 가구", "조손가정"
GROUPS = (ELDERLY_ALONE, SINGLE_PARENT, DISABLED, GRANDPARENTS)
# Programmes paid out of general or purpose funds: (name, purpose it serves, "" for none).
PROGRAMMES = (
    ("경로잔치", ""),
    ("김장 나눔 행사", "김장"),
    ("어린이날 나눔 행사", ""),
    ("저소득 아동 학습지원 사업", "교육비"),
    ("명절 위문품 구입", "명절 위문"),
    ("홀몸 어르신 밑반찬 사업", ""),
    ("겨울 난방유 공동구매", "난방비"),
)
# What one gift of money is, by kind of donor: lowest, highest, rounded to.
CASH_GIFTS = {
    "company": (500_000, 5_000_000, 100_000),
    "group": (200_000, 2_000_000, 50_000),
    "person": (30_000, 500_000, 10_000),
}
CASH_NOTES = ("성금", "이웃돕기 성금", "연말 나눔 성금", "정기 후원금", "나눔 캠페인 모금액")

# ---------------------------------------------------------------------------------------------- the food bank


@dataclass(frozen=True)
class Item:
    name: str
    unit: str
    unit_won: int
    shelf_days: int | None  # None: keeps (household goods)
    lot_units: tuple[int, int]  # units in one gift, low and high
    weight: float = 1.0  # how often it is given, relative to the others (rice and ramen most of all)


ITEMS: tuple[Item, ...] = (
    Item("쌀 10kg", "포", 32_000, 365, (10, 60), weight=5),
    Item("라면 1상자", "상자", 20_000, 180, (10, 50), weight=4),
    Item("김치 5kg", "통", 35_000, 45, (10, 40), weight=2),
    Item("참치 통조림 세트", "세트", 25_000, 730, (10, 40)),
    Item("식용유 1.8L", "병", 7_000, 540, (20, 60)),
    Item("두유 1상자", "상자", 15_000, 120, (10, 40)),
    Item("즉석밥 12개입", "상자", 14_000, 270, (10, 40)),
    Item("국수 3kg", "봉", 9_000, 365, (10, 40)),
    Item("김 선물세트", "세트", 12_000, 300, (10, 40)),
    Item("화장지 30롤", "묶음", 18_000, None, (10, 30)),
    Item("세탁세제 3kg", "통", 12_000, None, (10, 30)),
    Item("전기장판", "개", 45_000, None, (5, 20)),
    Item("극세사 이불", "채", 50_000, None, (5, 20)),
)
# When a household's visit to the market is for a designated purpose (the goods given for it).
GOODS_SEASONS = {"김장": (11, 12), "난방비": (11, 12, 1, 2), "명절 위문": (1, 2, 9, 10)}
# What the district buys with public money for the food market.
PUBLIC_ITEMS = ("쌀 10kg", "라면 1상자", "즉석밥 12개입")
# What a designated gift of goods is, by purpose.
PURPOSE_ITEMS = {"김장": "김치 5kg", "명절 위문": "김 선물세트", "난방비": "전기장판"}
# Fresh food that came in days ago: some of it expires within the week, one lot already has (expiry alerts).
FRESH_SOON = (Item("식빵 1봉", "봉", 3_500, 4, (20, 30)), Item("두부 1모", "모", 2_000, 6, (20, 40)))
FRESH_EXPIRED = Item("우유 1L", "팩", 2_800, 11, (24, 24))
CLEARANCE_EVENT = "유통기한 임박 식품 나눔"
EVENTS = (
    ("경로잔치", ""),
    ("김장 나눔 행사", "김장"),
    ("설 명절 나눔", "명절 위문"),
    ("추석 명절 나눔", "명절 위문"),
    ("어린이날 나눔 행사", ""),
    ("동절기 사랑의 꾸러미", ""),
)

# -------------------------------------------------------------------------------------------------- volunteers

AVAILABILITY = (
    "평일 오전", "평일 오후", "주말", "화·목 오후", "토요일 오전", "월 2회 주말", "수요일 종일", "평일 저녁",
)  # fmt: skip
ACTIVITIES = {
    "repairs": ("집수리 (도배·장판)", "전등·수도 수리"),
    "tutoring": ("아동 학습지도", "중학생 수학 멘토링"),
    "medical": ("방문 건강 체크", "혈압·혈당 측정"),
    "legal": ("무료 법률상담", "채무 상담 동행"),
    "cleaning": ("주거환경 정리", "저장강박 가구 청소"),
    "cooking": ("밑반찬 만들기", "경로식당 배식"),
    "companionship": ("홀몸 어르신 말벗", "안부 방문"),
    "driving": ("병원 동행 차량 지원", "푸드마켓 물품 배송"),
    "other": ("나눔 행사 보조", "푸드마켓 물품 정리"),
}
