"""Seed values for the reference data (channels of DESIGN.md section 5 and
the 喔刷 brand). Used by the data migration and by `seed_reference_data`.

Facts with `basis_confirmed=True` were checked against the statute texts in
`shared/reference/law/`; the others come from secondary sources, stay
editable in admin, and letters must not quote them by article number.
"""

BRANDS = [
    {
        "name": "喔刷",
        "note": (
            "Which licensed payment institution stands behind this brand is not "
            "confirmed. Users pick the institution from the list or type the name "
            "printed on their receipt or contract."
        ),
    },
]

CHANNELS = [
    {
        "code": "institution",
        "letter_template": "letters/institution.html",
        "letter_articles": [
            "条例-35",
            "民法典合同编-577",
            "民法典合同编-584",
            "民法典总则-195",
        ],
        "eligibility_note_en": "Anyone; always complain to the payment institution first.",
        "kind": "institution",
        "position": 10,
        "name": "支付机构（被投诉方）书面投诉与催告",
        "name_en": "The payment institution itself (written complaint and demand)",
        "complainant_types": [],
        "respondent_kinds": [],
        "eligibility_note": "任何用户均可，且应首先向支付机构本身提出。",
        "required_facts": [
            "complainant_name",
            "contact_phone",
            "respondent",
            "terminal",
            "deactivated_on",
            "narrative",
            "claims",
            "losses",
        ],
        # The demand letter asks for an answer within 15 days of receipt.
        "clock_rules": [{"stage": "reply", "days": 15, "unit": "calendar"}],
        "clock_note": (
            "催告函要求自收到之日起十五日内答复。"
            "支付机构应当及时妥善处理与用户的争议（条例第三十五条）；"
            "向义务人提出的书面履行请求使三年诉讼时效中断（民法典第一百九十五条）。"
        ),
        "legal_basis": "《非银行支付机构监督管理条例》第三十五条；《中华人民共和国民法典》第一百九十五条",
        "basis_confirmed": True,
        "source_note": "reference/law/非银行支付机构监督管理条例(2023-12-09).md; 民法典-总则.md",
    },
    {
        "code": "pboc",
        "letter_template": "letters/pboc.html",
        "letter_articles": ["条例-20", "条例-34", "条例-35"],
        "caution_complainant_types": ["sole_trader"],
        "eligibility_note_en": (
            "Natural persons (financial consumers) only; not enterprises. An "
            "individual business complaining as a business may be refused."
        ),
        "kind": "pboc",
        "position": 20,
        "name": "中国人民银行分支机构（金融消费者投诉）",
        "name_en": "PBOC branch (financial consumer complaint)",
        "complainant_types": ["individual", "sole_trader"],
        "respondent_kinds": [],
        "eligibility_note": (
            "限自然人（金融消费者）；企业不适用。个体工商户以经营者身份投诉时可能不被受理。"
        ),
        "required_facts": [
            "complainant_name",
            "id_number",
            "contact_phone",
            "respondent",
            "narrative",
            "claims",
        ],
        "clock_rules": [
            {"stage": "institution_reply", "days": 15, "unit": "calendar"},
            {
                "stage": "institution_reply_extended",
                "days": 60,
                "unit": "calendar",
                "after": "filed",
                "extension": True,
            },
        ],
        "clock_note": "转办后金融机构一般应在15日内答复，情况复杂的经说明理由最长60日。",
        "legal_basis": "中国人民银行金融消费者权益保护实施办法（2020）",
        "basis_confirmed": False,
        "source_note": "Secondary sources; the text is not in reference/law/. Do not quote article numbers.",
        "website": "",
        "hotline": "12363",
    },
    {
        "code": "pcac",
        "letter_template": "letters/pcac.html",
        "letter_articles": ["条例-20", "条例-34", "条例-35"],
        "eligibility_note_en": "Anyone may report a payment institution's violations under their real name.",
        "kind": "pcac",
        "position": 30,
        "name": "中国支付清算协会（违规举报）",
        "name_en": "Payment & Clearing Association of China (report of a violation)",
        "complainant_types": [],
        "respondent_kinds": ["payment"],
        "eligibility_note": "任何人均可实名举报支付机构的违规行为。",
        "required_facts": [
            "complainant_name",
            "id_number",
            "contact_phone",
            "respondent",
            "narrative",
        ],
        "clock_rules": [
            {"stage": "acceptance_notice", "days": 5, "unit": "working"},
            {"stage": "investigation", "days": 30, "unit": "working"},
            {
                "stage": "investigation_extended",
                "days": 60,
                "unit": "working",
                "after": "acceptance_notice",
                "extension": True,
            },
        ],
        "clock_note": "受理告知5个工作日；调查30个工作日，最长60个工作日。",
        "legal_basis": "中国支付清算协会举报处理规则（2016）",
        "basis_confirmed": False,
        "source_note": "Secondary sources; the text is not in reference/law/. Do not quote article numbers.",
    },
    {
        "code": "samr-12315",
        "letter_template": "letters/samr_complaint.html",
        "required_facts_articles": ["暂行办法-9"],
        "letter_articles": ["消保法-39", "暂行办法-3", "民法典合同编-577"],
        "eligibility_note_en": (
            "Complaints are for consumers in household consumption only (Interim "
            "Measures art. 3); a business (individual business or enterprise) can "
            "send a report instead."
        ),
        "kind": "samr",
        "position": 40,
        "name": "市场监督管理部门 12315（投诉）",
        "name_en": "Market regulation 12315 (complaint)",
        "complainant_types": ["individual"],
        "respondent_kinds": [],
        "eligibility_note": (
            "投诉仅限消费者为生活消费需要发生的争议（暂行办法第三条）；"
            "经营者（个体工商户、企业）可改为举报。"
        ),
        "required_facts": [
            "complainant_name",
            "contact_phone",
            "address",
            "respondent",
            "respondent_address",
            "claims",
            "narrative",
        ],
        "clock_rules": [
            {"stage": "accept_or_refuse", "days": 7, "unit": "working"},
            {"stage": "mediation", "days": 45, "unit": "working"},
        ],
        "clock_note": "收到投诉之日起7个工作日内决定是否受理；调解45个工作日未达成协议的终止调解。",
        "legal_basis": "《市场监督管理投诉举报处理暂行办法》第三条、第九条、第十四条、第十五条、第二十一条",
        "basis_confirmed": True,
        "source_note": "reference/law/市场监督管理投诉举报处理暂行办法(2022-03-24).md",
        "website": "",
        "hotline": "12315",
    },
    {
        "code": "samr-12315-report",
        "kind": "samr",
        "position": 45,
        "name": "市场监督管理部门 12315（举报）",
        "name_en": "Market regulation 12315 (report)",
        "letter_template": "letters/samr_report.html",
        "alternative_to": "samr-12315",
        "complainant_types": [],
        "respondent_kinds": [],
        "eligibility_note": (
            "自然人、法人或者其他组织均可举报经营者涉嫌违法的线索（暂行办法第三条第二款）；"
            "举报不处理个人的损失赔偿请求。"
        ),
        "eligibility_note_en": (
            "Anyone may report a business's suspected violations (Interim Measures "
            "art. 3 para. 2); a report does not settle your own claim for losses."
        ),
        "required_facts": [
            "complainant_name",
            "contact_phone",
            "respondent",
            "respondent_address",
            "narrative",
        ],
        "letter_articles": ["暂行办法-3", "暂行办法-31", "条例-20"],
        # The 5 working days run from the decision whether to open a case,
        # whose own deadline is not in the reference texts: nothing to count.
        "clock_rules": [],
        "clock_note": "实名举报的，作出是否立案决定之日起五个工作日内告知举报人（暂行办法第三十一条）；立案决定本身的期限不在参考法规中，故不计算期限。",
        "legal_basis": "《市场监督管理投诉举报处理暂行办法》第三条、第三十一条",
        "basis_confirmed": True,
        "source_note": "reference/law/市场监督管理投诉举报处理暂行办法(2022-03-24).md",
        "hotline": "12315",
    },
    {
        "code": "nfra-12378",
        "letter_template": "letters/nfra.html",
        "letter_articles": ["民法典合同编-577"],
        "eligibility_note_en": "Only when the acquirer is a bank.",
        "kind": "nfra",
        "position": 50,
        "name": "国家金融监督管理总局 12378",
        "name_en": "National Financial Regulatory Administration 12378",
        "complainant_types": [],
        "respondent_kinds": ["bank"],
        "eligibility_note": "仅当收单机构是银行时适用。",
        "required_facts": [
            "complainant_name",
            "contact_phone",
            "respondent",
            "narrative",
        ],
        "clock_rules": [{"stage": "reply", "days": 15, "unit": "working"}],
        "clock_note": "约15个工作日。",
        "legal_basis": "",
        "basis_confirmed": False,
        "source_note": "Secondary sources only.",
        "hotline": "12378",
    },
    {
        "code": "arbitration",
        "letter_template": "letters/arbitration.html",
        "required_facts_articles": ["仲裁法-23"],
        "letter_articles": [
            "仲裁法-16",
            "仲裁法-21",
            "民法典合同编-577",
            "民法典合同编-584",
        ],
        "eligibility_note_en": (
            "Only when the agreement has an arbitration clause or there is another "
            "written arbitration agreement (Arbitration Law art. 16)."
        ),
        "kind": "arbitration",
        "position": 60,
        "name": "仲裁委员会（仲裁申请）",
        "name_en": "Arbitration commission (application)",
        "complainant_types": [],
        "respondent_kinds": [],
        "eligibility_note": "仅当合同中订有仲裁条款或另有书面仲裁协议时适用（仲裁法第十六条）。",
        "required_facts": [
            "complainant_name",
            "id_number",
            "address",
            "representative",
            "respondent",
            "respondent_address",
            "arbitration_commission",
            "claims",
            "narrative",
            "losses",
            "evidence",
        ],
        "clock_rules": [{"stage": "acceptance", "days": 5, "unit": "calendar"}],
        "clock_note": "仲裁委员会收到仲裁申请书之日起五日内决定是否受理（仲裁法第二十四条）。",
        "legal_basis": "《中华人民共和国仲裁法》第五条、第十六条、第二十一条、第二十三条、第二十四条",
        "basis_confirmed": True,
        "source_note": "reference/law/仲裁法(2017-09-01).md",
    },
    {
        "code": "court",
        "letter_template": "letters/court.html",
        "required_facts_articles": ["民事诉讼法-124"],
        "letter_articles": ["民事诉讼法-122", "民法典合同编-577", "民法典合同编-584"],
        "eligibility_note_en": "Anyone may sue.",
        "kind": "court",
        "position": 70,
        "name": "人民法院（民事起诉状）",
        "name_en": "People's court (statement of claim)",
        "complainant_types": [],
        "respondent_kinds": [],
        "eligibility_note": "任何人均可起诉。",
        "required_facts": [
            "complainant_name",
            "id_number",
            "address",
            "contact_phone",
            "representative",
            "respondent",
            "respondent_address",
            "claims",
            "narrative",
            "losses",
            "evidence",
        ],
        "clock_rules": [{"stage": "docketing", "days": 7, "unit": "calendar"}],
        "clock_note": "符合起诉条件的，应当在七日内立案（民事诉讼法第一百二十六条）。",
        "legal_basis": "《中华人民共和国民事诉讼法》第一百二十二条、第一百二十四条、第一百二十六条",
        "basis_confirmed": True,
        "source_note": "reference/law/民事诉讼法(2023-09-01).md",
    },
]


def seed(Channel, Brand) -> tuple[int, int]:
    """Create missing channels and brands; never overwrite admin edits.

    Returns (channels created, brands created).
    """
    channels = brands = 0
    # A migration passes the historical model, which may predate some fields.
    known = {f.name for f in Channel._meta.get_fields()}
    for data in CHANNELS:
        values = {k: v for k, v in data.items() if k in known or k == "alternative_to"}
        code = values.pop("code")
        alternative_to = values.pop("alternative_to", None)
        if alternative_to and "alternative_to" in known:
            values["alternative_to"] = Channel.objects.filter(
                code=alternative_to
            ).first()
        _obj, created = Channel.objects.get_or_create(code=code, defaults=values)
        channels += created
    for data in BRANDS:
        values = dict(data)
        name = values.pop("name")
        _obj, created = Brand.objects.get_or_create(name=name, defaults=values)
        brands += created
    return channels, brands


# Fields that migration 0007 added or corrected on the channels seeded before.
UPGRADED_FIELDS = (
    "clock_rules",
    "clock_note",
    "name",
    "name_en",
    "letter_template",
    "letter_articles",
    "required_facts",
    "required_facts_articles",
    "caution_complainant_types",
    "eligibility_note_en",
    "legal_basis",
)


def upgrade_channels(Channel) -> None:
    """Fill the fields added in migration 0007 on already seeded channels
    (migration 0002 seeds with the current list, so on a new database every
    channel exists by then, without the fields 0007 adds)."""
    for data in CHANNELS:
        channel = Channel.objects.filter(code=data["code"]).first()
        if channel is None:
            continue
        for name in UPGRADED_FIELDS:
            if name in data:
                setattr(channel, name, data[name])
        if data.get("alternative_to"):
            channel.alternative_to = Channel.objects.filter(
                code=data["alternative_to"]
            ).first()
        channel.save()
