"""Activities that pilot-zone plans involve, and how to find them in a plan.

A plan ("運転者が乗車しない自動運転バスを公道で運行し、運賃を受け取る") is broken into the regulated
activities it involves (driving without a driver; carrying paying passengers; ...). Each activity
of the taxonomy carries:

- `groups`: cue patterns in Japanese and English; the activity is found when every group matches
  (driverless AND vehicle; passengers AND payment), so one stray word does not trigger it;
- `queries`: Japanese search phrases in the language of the statutes (query expansion: the plan's
  words are rarely the law's words, and English plans need Japanese queries);
- `terms`: weighted terms of art that the governing articles use, for article scoring;
- `laws`: the statutes that govern it (their cabinet orders and ordinances share the title prefix);
- `gap_terms`: concepts older rules presuppose (自ら診察, 目視) that the new technique strains.

This is domain knowledge about regimes, not answers: articles are still found by retrieval and
scoring, and every one shown is verified against its text.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ruleassist.errors import RuleAssistError

MAX_PLAN_CHARS = 20_000     # about ten pages; beyond that only the start is analysed (and the report says so)


class PlanError(RuleAssistError):
    """The plan cannot be analysed as given; the message says what to change."""


@dataclass(frozen=True)
class Activity:
    key: str
    label_ja: str
    label_en: str
    groups: tuple[str, ...]                 # regexes; all must match the plan (case-insensitive)
    queries: tuple[str, ...]
    terms: tuple[tuple[str, float], ...]
    laws: tuple[str, ...]
    gap_terms: tuple[str, ...] = ()
    max_rows: int = 4
    avoid: tuple[str, ...] = ()            # captions of another regime that shares the words (配送ロボット vs 自動運行)


# Cue fragments shared by several activities.
VEHICLE = r"車|バス|タクシー|トラック|モビリティ|vehicle|bus|car\b|cars\b|taxi|shuttle|truck|van\b"
TRANSPORT = (r"乗客|旅客|送迎|乗せ|運送|運行|輸送|バス|タクシー|乗り合い|乗合|passenger|ride|rides|shuttle|bus|taxi|"
             r"transport|carry|carries|drive .* to")
PAYMENT = r"運賃|料金|有償|対価|謝礼|円|fare|fee|pay|paid|charge|price|yen|\bjpy\b"
DRIVERLESS = (r"運転者が乗車しない|運転手が乗車しない|運転者のいない|運転手のいない|運転者なし|無人運転|無人走行|自動運転|"
              r"レベル\s*[4４]|特定自動運行|driverless|self-driving|autonomous|automated driving|level\s*4|"
              r"without a (?:safety )?driver|robo-?taxi")
DRONE = r"ドローン|無人航空機|無人機|マルチコプター|drone|uav|uas\b|unmanned aircraft"
# Duties of public bodies (chapter 5 of the personal information act) are not those of the businesses that run
# most pilot services; a plan run by a municipality is a weakness of this simplification.
PUBLIC_BODIES = ("行政機関等", "行政機関の長等")
PEOPLE = r"住民|高齢者|居住者|利用者|患者|家族|個人|resident|elderly|people|person|patient|famil|user|citizen|home"

TAXONOMY: tuple[Activity, ...] = (
    Activity("driverless_road", "運転者が乗車しない公道での自動運行", "Driving without a driver on public roads (Level 4)",
             (DRIVERLESS, VEHICLE),
             ("特定自動運行の許可 公安委員会", "特定自動運行計画 許可の基準", "特定自動運行実施者 遵守事項",
              "特定自動運行主任者 指定 教育"),
             (("特定自動運行", 3.0), ("特定自動運行計画", 1.0), ("特定自動運行実施者", 1.0), ("自動運行装置", 0.5)),
             ("道路交通法",), max_rows=4),
    Activity("remote_monitoring", "遠隔監視・遠隔操作", "Remote monitoring or remote operation",
             (r"遠隔|監視センター|監視員|同時に監視|remote(?:ly)?\s*(?:monitor|operat|supervis|control)|control cent|"
              r"operations cent", VEHICLE + "|" + DRIVERLESS),
             ("特定自動運行主任者 映像及び音声 監視", "特定自動運行中の遵守事項 特定自動運行主任者の配置",
              "遠隔操作型小型車 遠隔操作"),
             (("特定自動運行主任者", 2.0), ("映像及び音声", 2.0), ("監視", 1.0), ("遠隔", 0.5)),
             ("道路交通法",), max_rows=3, avoid=("遠隔操作型小型車",)),
    Activity("paid_passengers", "有償で旅客を運送する事業", "Carrying paying passengers (passenger transport business)",
             (TRANSPORT, PAYMENT),
             ("一般旅客自動車運送事業の許可 国土交通大臣", "旅客自動車運送事業 運賃 料金 認可 届出",
              "一般旅客自動車運送事業者 運行管理者 選任"),
             (("一般旅客自動車運送事業", 3.0), ("旅客自動車運送事業", 1.0), ("運賃", 1.0), ("運行管理者", 0.5)),
             ("道路運送法",), max_rows=3),
    Activity("private_car_rides", "自家用車による有償の送迎（ボランティア・ライドシェア）",
             "Carrying people for payment in private cars (volunteer ride-sharing)",
             (r"自家用車|自家用自動車|マイカー|自分の車|ボランティア|private car|own car|personal (?:car|vehicle)|volunteer|"
              r"ride-?shar|car-?pool", TRANSPORT, PAYMENT),
             ("自家用自動車 有償で運送の用に供してはならない", "自家用有償旅客運送 登録 国土交通大臣",
              "自家用有償旅客運送者 運転者 要件"),
             (("自家用有償旅客運送", 3.0), ("有償で運送", 2.0), ("自家用自動車", 2.0)),
             ("道路運送法", "地域公共交通の活性化及び再生に関する法律"), max_rows=3),
    Activity("small_mobility", "電動キックボード等（特定小型原動機付自転車）の運転・貸出",
             "Riding or renting e-scooters (specified small motorised bicycles)",
             (r"電動キックボード|キックボード|特定小型原動機付自転車|電動スクーター|e-?scooter|kick ?scooter|electric scooter",),
             ("特定小型原動機付自転車 十六歳未満 運転 提供 禁止", "特例特定小型原動機付自転車 歩道 通行",
              "特定小型原動機付自転車 最高速度 保安基準"),
             (("特定小型原動機付自転車", 3.0), ("特例特定小型原動機付自転車", 2.0), ("歩道", 1.0), ("十六歳未満", 1.0)),
             ("道路交通法",), max_rows=3),
    Activity("car_rental", "自家用車の有償貸渡し（レンタカー・カーシェア）", "Renting out private cars (rental, car sharing)",
             (r"レンタカー|カーシェア|貸し出|貸出|貸渡|car ?shar|rental|rent out|renting", VEHICLE + r"|自動車|自家用|car"),
             ("自家用自動車 業として有償で貸し渡し 許可 国土交通大臣",),
             (("有償で貸し渡", 3.0), ("貸渡", 2.0), ("自家用自動車", 1.0)),
             ("道路運送法",), max_rows=1),
    Activity("vehicle_equipment", "車両の装置・自動運行装置（保安基準）",
             "Vehicle equipment and automated-driving software (safety standards)",
             (DRIVERLESS + r"|自動運行装置|改造|ソフトウェア|software|modified vehicle|retrofit", VEHICLE),
             ("自動運行装置 保安基準 技術基準", "自動車の装置 技術基準 運行の用に供してはならない",
              "自動運行装置 使用条件 国土交通大臣 付する"),
             (("自動運行装置", 3.0), ("保安上", 1.0), ("技術基準", 1.0), ("特定改造", 0.5)),
             ("道路運送車両法", "道路運送車両の保安基準"), max_rows=2),
    Activity("vehicle_liability", "自動車事故の賠償責任と強制保険", "Accident liability and compulsory motor insurance",
             (VEHICLE, DRIVERLESS + "|" + PAYMENT + r"|事故|保険|賠償|accident|insurance|liabilit"),
             ("自動車損害賠償責任保険 契約 締結", "自己のために自動車を運行の用に供する者 損害賠償"),
             (("責任保険", 1.0), ("契約", 1.5), ("締結", 1.5), ("運行の用に供してはならない", 1.5), ("損害賠償", 1.0),
              ("自己のために自動車を運行の用に供する者", 2.0)),
             ("自動車損害賠償保障法",), max_rows=2),
    Activity("drone_flight", "無人航空機の目視外・有人地帯上空の飛行（レベル3・4）",
             "Flying drones beyond visual line of sight or over people (Level 3/4)",
             (DRONE, r"目視外|目視.{0,6}(?:外|なし|しない)|補助者を置かず|補助者なし|住宅|上空|市街地|人口集中|都市|レベル\s*[34３４]|"
                     r"beyond visual|bvlos|over (?:people|houses|homes|residential|crowds?|towns?|the city)|populated|urban|"
                     r"residential"),
             ("無人航空機 飛行の禁止空域 人又は家屋の密集している地域の上空", "無人航空機 飛行の方法 目視により常時監視",
              "立入管理措置 一等無人航空機操縦士 第一種機体認証", "特定飛行 飛行計画 通報", "無人航空機 機体認証 技能証明"),
             (("無人航空機", 1.0), ("立入管理措置", 2.0), ("機体認証", 2.0), ("技能証明", 1.5), ("特定飛行", 2.0),
              ("目視", 2.0), ("飛行の禁止空域", 2.0), ("飛行の方法", 2.0), ("飛行計画", 1.5)),
             ("航空法", "重要施設の周辺地域の上空における小型無人機等の飛行の禁止に関する法律"),
             max_rows=6, avoid=("計器飛行方式",)),
    Activity("drone_night_events", "無人航空機の夜間・催し上空・物件投下等の飛行",
             "Flying drones at night, over events or crowds, or dropping or carrying hazardous goods",
             (DRONE, r"夜間|夜|日没|催し|イベント|祭り|花火|ライトショー|コンサート|観客|群衆|物件.{0,4}投下|投下|散布|危険物|"
                     r"night|dark|event|festival|concert|show|crowd|spectator|drop|spray|dangerous goods|hazardous"),
             ("無人航空機 飛行の方法 日出から日没までの間", "多数の者の集合する催しが行われている場所の上空",
              "無人航空機 物件を投下しないこと 危険物を輸送しないこと", "無人航空機 飛行 許可 承認 国土交通大臣"),
             (("日出から日没", 3.0), ("催し", 3.0), ("物件を投下", 2.0), ("危険物", 1.5), ("飛行の方法", 2.0),
              ("無人航空機", 1.0)),
             ("航空法",), max_rows=3),
    Activity("drone_key_facilities", "重要施設周辺の上空での小型無人機の飛行",
             "Flying small drones over or near key facilities (Diet, airports, defence sites, nuclear plants)",
             (DRONE, r"国会|官邸|皇居|大使館|外国公館|防衛|自衛隊|基地|原子力|発電所|空港|重要施設|parliament|diet building|"
                     r"embassy|defen[cs]e|military|base|nuclear|power plant|airport|key facilit"),
             ("対象施設周辺地域の上空 小型無人機等の飛行 禁止", "対象施設の管理者の同意 小型無人機等の飛行 通報"),
             (("小型無人機等の飛行", 3.0), ("対象施設周辺地域", 3.0), ("対象施設", 1.0), ("同意", 1.0)),
             ("重要施設の周辺地域の上空における小型無人機等の飛行の禁止に関する法律",), max_rows=2),
    Activity("air_mobility", "航空機（空飛ぶクルマ等）の運航・旅客運送", "Operating aircraft such as eVTOL air taxis",
             (r"空飛ぶクルマ|空飛ぶ車|エアモビリティ|evtol|ヘリコプター|飛行機|航空機|flying car|air taxi|air mobility|"
              r"aircraft|helicopter",),
             ("航空機 耐空証明 航空の用に供してはならない", "航空従事者 技能証明 航空業務", "航空運送事業 許可 国土交通大臣"),
             (("耐空証明", 3.0), ("航空運送事業", 2.0), ("技能証明", 1.5), ("航空機", 0.5)),
             ("航空法",), max_rows=3, avoid=("無人航空機",)),
    Activity("remote_diagnosis", "患者に対面しない診察・処方（オンライン診療）",
             "Diagnosing or prescribing without meeting the patient (online medical care)",
             (r"オンライン診療|遠隔診療|遠隔医療|ビデオ通話|テレビ電話|オンラインで診|対面(?:せず|しない|なし)|情報通信機器|"
              r"telemedicine|telehealth|online (?:consultation|medical|care|diagnos|clinic)|video (?:call|consultation)|"
              r"remote (?:diagnos|consult|medical|care)",
              r"診察|診療|診断|処方|医師|doctor|physician|diagnos|prescri|medical|clinic"),
             ("医師 自ら診察しないで治療 処方せん 交付してはならない", "診療所 開設 届出 管理者", "処方せん 交付 医師"),
             (("自ら診察", 4.0), ("処方せん", 2.0), ("診察", 1.0), ("診療所", 0.5)),
             ("医師法", "医療法"), gap_terms=("自ら診察", "対面"), max_rows=2),
    Activity("medicines", "医薬品の販売・授与・配送", "Selling, handing over or delivering medicines",
             (r"医薬品|(?<!農)薬を|処方薬|薬剤|調剤|medicine|drug|pharmac|prescription",),
             ("医薬品 販売 授与 許可", "薬局 開設 許可 都道府県知事", "処方箋 調剤 薬剤師"),
             (("医薬品", 1.0), ("薬局", 1.0), ("販売", 1.0), ("授与", 1.0), ("調剤", 1.0), ("処方箋", 1.0)),
             ("医薬品、医療機器等の品質、有効性及び安全性の確保等に関する法律",), gap_terms=("対面",), max_rows=2),
    Activity("medical_devices", "医療機器・診断プログラム（AI診断アプリ等）の提供", "Providing medical devices or diagnostic software",
             (r"医療機器|診断(?:支援)?(?:AI|アプリ|ソフト|プログラム)|AI.{0,10}診断|プログラム医療機器|ウェアラブル.{0,10}(?:診断|測定)|"
              r"medical device|diagnostic (?:software|app|ai|tool)|ai.{0,20}diagnos|software as a medical device|samd",),
             ("医療機器 製造販売 品目ごと 承認", "医療機器 製造販売業 許可", "管理医療機器プログラム 販売 提供 届出"),
             (("医療機器", 2.0), ("製造販売", 2.0), ("承認", 1.0), ("医療機器プログラム", 2.0)),
             ("医薬品、医療機器等の品質、有効性及び安全性の確保等に関する法律",), max_rows=3),
    Activity("health_data", "健康・病歴などの要配慮個人情報の取得と利用", "Collecting and using health or other sensitive personal data",
             (r"健康|病気|病歴|体調|転倒|見守り|介護|心拍|要配慮|health|illness|fall|medical|vital|heart rate|care",
              r"データ|情報|記録|センサー|通知|アラート|data|information|record|sensor|observation|alert|monitor"),
             ("要配慮個人情報 あらかじめ本人の同意 取得", "個人情報 利用目的の特定", "利用目的の達成に必要な範囲 取り扱ってはならない",
              "個人データ 安全管理措置"),
             (("要配慮個人情報", 3.0), ("利用目的", 2.0), ("取得", 1.0), ("安全管理", 0.5), ("個人情報取扱事業者", 1.0)),
             ("個人情報の保護に関する法律",), max_rows=3, avoid=PUBLIC_BODIES),
    Activity("data_sharing", "個人データの第三者提供（家族・自治体・事業者）",
             "Sharing personal data with third parties (family, municipality, partners)",
             (r"共有|提供|家族|自治体|市町村|役場|第三者|連携|販売|売る|売却|share|sharing|provide|disclos|third part|famil|"
              r"municipal|city hall|partner|sell|sold|sale", PEOPLE + r"|個人|personal|データ|data|情報|information"),
             ("個人データ 第三者に提供 あらかじめ本人の同意", "第三者提供に係る記録の作成", "外国にある第三者への提供の制限"),
             (("第三者に提供", 3.0), ("個人データ", 2.0), ("第三者提供", 1.0), ("個人情報取扱事業者", 1.0)),
             ("個人情報の保護に関する法律",), max_rows=2, avoid=PUBLIC_BODIES),
    Activity("sensor_watching", "センサー・カメラによる住民の見守り（個人情報の取得）",
             "Watching residents with sensors or cameras (collecting personal information)",
             (r"センサー|カメラ|見守り|位置情報|gps|ウェアラブル|sensor|camera|cctv|wearable|detect|watch(?:ing)? over|"
              r"motion", PEOPLE + r"|住宅|自宅|住まい|houses?|homes?"),
             ("個人情報 適正な取得 偽りその他不正の手段", "個人情報 取得 利用目的 通知 公表"),
             (("取得", 2.0), ("利用目的", 1.5), ("通知", 1.0), ("公表", 0.5), ("個人情報取扱事業者", 1.0)),
             ("個人情報の保護に関する法律",), max_rows=2, avoid=PUBLIC_BODIES),
    Activity("delivery_robots", "遠隔操作型小型車（配送ロボット）の通行", "Remote-controlled small delivery robots on pavements",
             (r"配送ロボット|配達ロボット|自動配送|遠隔操作型小型車|delivery robot|sidewalk robot|pavement robot",),
             ("遠隔操作型小型車 届出 公安委員会", "遠隔操作型小型車 通行 遵守事項"),
             (("遠隔操作型小型車", 3.0), ("遠隔操作", 1.0)),
             ("道路交通法",), max_rows=3),
    Activity("road_trial", "道路を使う実証実験（道路使用）", "Using public roads for a trial or demonstration",
             (r"実証実験|実証|実験|試験運行|pilot test|trial|demonstration|field test", r"公道|道路|road|street"),
             ("道路の使用の許可 警察署長", "道路において工事 作業 道路使用許可"),
             (("道路の使用", 3.0), ("警察署長", 1.0)),
             ("道路交通法",), max_rows=1),
    Activity("investment", "出資・投資の募集（トークン・クラウドファンディング）",
             "Raising money from investors (tokens, crowdfunding)",
             (r"出資|投資|ファンド|トークン|クラウドファンディング|配当|invest|crowdfund|token|securities|dividend",),
             ("金融商品取引業 登録", "有価証券の募集 届出", "電子募集取扱業務"),
             (("金融商品取引業", 2.0), ("有価証券", 1.0), ("募集", 1.0), ("登録", 0.5)),
             ("金融商品取引法",), max_rows=3),
    Activity("emissions", "温室効果ガス排出量・エネルギー使用の報告", "Reporting greenhouse-gas emissions or energy use",
             (r"温室効果ガス|排出量|co2|二酸化炭素|脱炭素|エネルギー使用|greenhouse|emission|carbon|energy use",),
             ("温室効果ガス算定排出量 報告", "エネルギー使用量 定期の報告"),
             (("温室効果ガス算定排出量", 2.0), ("報告", 1.0), ("排出量", 1.0)),
             ("地球温暖化対策の推進に関する法律", "エネルギーの使用の合理化及び非化石エネルギーへの転換等に関する法律"),
             max_rows=2),
)
BY_KEY = {a.key: a for a in TAXONOMY}


@dataclass(frozen=True)
class Found:
    """An activity found in a plan, with the plan's words that showed it."""
    activity: Activity
    cues: tuple[str, ...]
    strength: float             # matched cue count over groups: 1.0 = one cue per group (weakest)
    confirmed: str = "cues"     # "cues" / "llm" / "unconfirmed" (LLM not asked or failed)


@dataclass
class Plan:
    text: str                   # what is analysed (capped)
    lang: str                   # "ja" / "en"
    fields: dict = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)

    @property
    def analysed_text(self) -> str:
        extra = "\n".join(f"{k}: {v}" for k, v in self.fields.items() if str(v).strip())
        return f"{self.text}\n{extra}".strip()


def _script_shares(text: str) -> dict[str, float]:
    chars = [c for c in text if c.isalpha()]
    if not chars:
        return {}
    def share(pred) -> float:
        return sum(1 for c in chars if pred(c)) / len(chars)
    return {"kana": share(lambda c: "\u3040" <= c <= "\u30ff"),
            "han": share(lambda c: "\u3400" <= c <= "\u9fff"),
            "latin": share(lambda c: c.isascii()),
            "hangul": share(lambda c: "\uac00" <= c <= "\ud7af")}


EN_WORDS = re.compile(r"\b(?:the|and|of|to|in|with|for|a|an|is|are|will|from|on|by|who|that)\b", re.IGNORECASE)


def plan_language(text: str) -> str:
    """'ja' or 'en'; raises PlanError for another language (the taxonomy's cues are Japanese and English)."""
    s = _script_shares(text)
    if s.get("kana", 0) > 0.05 or (s.get("han", 0) > 0.3 and s.get("kana", 0) > 0.01):
        return "ja"
    if s.get("han", 0) + s.get("kana", 0) > 0.3 and s.get("kana", 0) == 0 and len(text) > 30:
        raise PlanError("the plan looks like Chinese (no kana at all); write it in Japanese or English")
    words = re.findall(r"[A-Za-z]+", text)
    if s.get("latin", 0) > 0.6 and words and len(EN_WORDS.findall(text)) / len(words) > 0.08:
        return "en"
    if s.get("latin", 0) > 0.6 and len(words) < 8:
        return "en"         # too short to tell; English cues decide
    raise PlanError("the plan is neither Japanese nor English; write it in one of those two languages "
                    "(the activity cues and the statutes are Japanese, with English cues)")


def read_plan(text: str, fields: dict | None = None) -> Plan:
    """Check and normalise a plan: empty, other languages, and very long plans get clear messages."""
    fields = {k: str(v) for k, v in (fields or {}).items() if v is not None and str(v).strip()}
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text and not fields:
        raise PlanError("the plan is empty; describe what will be done, where, by whom, for whom and whether "
                        "money changes hands (e.g. 運転者が乗車しない自動運転バスを公道で運行し運賃を受け取る)")
    if len(text) < 8 and not fields:
        raise PlanError(f"the plan {text!r} is too short to analyse; describe the service in a sentence or more")
    notices = []
    if len(text) > MAX_PLAN_CHARS:
        notices.append(f"the plan has {len(text):,} characters; only the first {MAX_PLAN_CHARS:,} (about ten pages) "
                       "were analysed: send the sections that describe the service, or split the plan")
        text = text[:MAX_PLAN_CHARS]
    lang = plan_language(text + " " + " ".join(fields.values()))
    return Plan(text, lang, fields, notices)


def detect_activities(plan: Plan) -> list[Found]:
    """Activities whose every cue group matches the plan, strongest first (ties keep taxonomy order)."""
    text = plan.analysed_text
    found = []
    for activity in TAXONOMY:
        cues, count = [], 0
        for group in activity.groups:
            hits = {m.group(0) for m in re.finditer(group, text, flags=re.IGNORECASE)}
            if not hits:
                break
            cues += sorted(hits)[:3]
            count += len(hits)
        else:
            found.append(Found(activity, tuple(dict.fromkeys(cues)), count / len(activity.groups)))
    order = {a.key: i for i, a in enumerate(TAXONOMY)}
    return sorted(found, key=lambda f: order[f.activity.key])


def taxonomy_summary(lang: str = "en") -> str:
    return "; ".join(a.label_ja if lang == "ja" else a.label_en for a in TAXONOMY)
