"""Which bodies a complaint can go to (the plan) and what a letter to each
still lacks (completeness), against the seeded channel rules.

Reasons are checked in Chinese on the words that come from the rules and
the statutes themselves (channel names, notes, citations), so that the
checks hold whatever the state of the message catalogue.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from complaints import channels
from complaints.channels import CAUTION, EXCLUDED, FACTS, SUGGESTED
from complaints.letters import context as letter_context
from complaints.letters import law
from complaints.models import Channel, ComplainantType, Institution
from complaints.reference_data import CHANNELS
from tests.factories import ComplaintFactory, InstitutionFactory, LossItemFactory
from tests.letter_factories import (
    COMMISSION,
    EvidenceRowFactory,
    channel,
    letter_ready_complaint,
)

pytestmark = pytest.mark.django_db

SEEDED_CODES = [c["code"] for c in CHANNELS]

IND, SOLE, ENT = (
    ComplainantType.INDIVIDUAL,
    ComplainantType.SOLE_TRADER,
    ComplainantType.ENTERPRISE,
)
S, C, X = SUGGESTED, CAUTION, EXCLUDED

# complainant type -> channel -> status, for a case against a listed
# non-bank payment institution with no arbitration clause.
PLAN = {
    IND: {
        "institution": S,
        "pboc": S,
        "pcac": S,
        "samr-12315": S,
        "samr-12315-report": X,  # the complaint is open to a consumer
        "nfra-12378": X,  # not a bank
        "arbitration": X,  # no arbitration clause
        "court": S,
    },
    SOLE: {
        "institution": S,
        "pboc": C,
        "pcac": S,
        "samr-12315": X,
        "samr-12315-report": S,
        "nfra-12378": X,
        "arbitration": X,
        "court": S,
    },
    ENT: {
        "institution": S,
        "pboc": X,
        "pcac": S,
        "samr-12315": X,
        "samr-12315-report": S,
        "nfra-12378": X,
        "arbitration": X,
        "court": S,
    },
}


def plan_for(complaint, language="zh-hans"):
    """The plan, computed in `language`, keyed by channel code (in order)."""
    loaded = letter_context.load_complaint(complaint.pk)
    with translation.override(language):
        return {entry.channel.code: entry for entry in channels.channel_plan(loaded)}


def reasons(entry) -> str:
    return " | ".join(str(r) for r in entry.reasons)


def messages(problems) -> str:
    return " | ".join(str(p.message) for p in problems)


def zh_name(code):
    return next(c["name"] for c in CHANNELS if c["code"] == code)


# --- Eligibility ----------------------------------------------------------------


def test_the_table_covers_every_seeded_channel():
    assert set(SEEDED_CODES) == set(Channel.objects.values_list("code", flat=True))
    for expected in PLAN.values():
        assert set(expected) == set(SEEDED_CODES)


@pytest.mark.parametrize("code", SEEDED_CODES)
def test_the_migrated_channels_hold_the_reference_data(code):
    """A fresh database (migrations 0001 to the last) holds every channel
    rule of reference_data.py, the channel it is offered instead of
    included."""
    data = next(c for c in CHANNELS if c["code"] == code)
    obj = Channel.objects.select_related("alternative_to").get(code=code)

    for name, value in data.items():
        if name == "alternative_to":
            assert getattr(obj.alternative_to, "code", None) == value, name
        else:
            assert getattr(obj, name) == value, name
    if "alternative_to" not in data:
        assert obj.alternative_to is None


@pytest.mark.parametrize("ctype", [IND, SOLE, ENT])
@pytest.mark.parametrize("code", SEEDED_CODES)
def test_plan_status_by_complainant_type_and_channel(ctype, code):
    complaint = letter_ready_complaint(complainant_type=ctype)

    entry = plan_for(complaint)[code]

    assert entry.status == PLAN[ctype][code], reasons(entry)
    assert entry.reasons, "every status is explained"
    assert entry.usable == (entry.status != EXCLUDED)


@pytest.mark.parametrize("ctype", [IND, SOLE, ENT])
def test_the_institution_itself_is_always_first_and_cites_its_basis(ctype):
    complaint = letter_ready_complaint(complainant_type=ctype)

    plan = plan_for(complaint)

    first = next(iter(plan.values()))
    assert first.channel.code == "institution"
    assert first.status == SUGGESTED
    assert "《非银行支付机构监督管理条例》第三十五条" in reasons(first)
    assert "《中华人民共和国民法典》第一百九十五条" in reasons(first)


def test_plan_follows_the_channel_order():
    complaint = letter_ready_complaint()

    assert list(plan_for(complaint)) == list(
        Channel.objects.filter(is_active=True)
        .order_by("position", "code")
        .values_list("code", flat=True)
    )


@pytest.mark.parametrize("ctype", [SOLE, ENT])
def test_a_business_cannot_complain_to_12315_and_is_offered_the_report_instead(
    ctype,
):
    complaint = letter_ready_complaint(complainant_type=ctype)

    plan = plan_for(complaint)

    complaint_entry, report = plan["samr-12315"], plan["samr-12315-report"]
    assert complaint_entry.status == EXCLUDED
    assert "暂行办法第三条" in reasons(complaint_entry)
    assert report.status == SUGGESTED
    # The first reason says what it replaces.
    assert zh_name("samr-12315") in str(report.reasons[0])


def test_a_consumer_complains_to_12315_and_is_not_offered_the_report():
    plan = plan_for(letter_ready_complaint(complainant_type=IND))

    assert plan["samr-12315"].status == SUGGESTED
    assert plan["samr-12315-report"].status == EXCLUDED
    assert zh_name("samr-12315") in reasons(plan["samr-12315-report"])
    assert not plan["samr-12315-report"].missing, "no facts asked of an excluded one"


def test_pboc_excludes_an_enterprise_and_warns_a_sole_trader():
    enterprise = plan_for(letter_ready_complaint(complainant_type=ENT))["pboc"]
    sole_trader = plan_for(letter_ready_complaint(complainant_type=SOLE))["pboc"]

    assert enterprise.status == EXCLUDED
    assert "企业不适用" in reasons(enterprise)
    assert sole_trader.status == CAUTION
    assert "个体工商户以经营者身份投诉时可能不被受理" in reasons(sole_trader)
    assert sole_trader.usable


def test_reasons_follow_the_language_of_the_page():
    complaint = letter_ready_complaint(complainant_type=ENT)

    entry = plan_for(complaint, language="en")["pboc"]

    assert "not enterprises" in reasons(entry)
    assert "企业不适用" not in reasons(entry)


@pytest.mark.parametrize(
    ("kind", "nfra", "pcac"),
    [
        (Institution.Kind.PAYMENT_INSTITUTION, EXCLUDED, SUGGESTED),
        (Institution.Kind.BANK, SUGGESTED, EXCLUDED),
        (Institution.Kind.AGENT, EXCLUDED, EXCLUDED),
    ],
)
def test_nfra_and_pcac_depend_on_the_kind_of_respondent(kind, nfra, pcac):
    institution = InstitutionFactory(kind=kind)
    complaint = letter_ready_complaint(respondent_institution=institution)

    plan = plan_for(complaint)

    assert plan["nfra-12378"].status == nfra
    assert plan["pcac"].status == pcac
    for code in ("nfra-12378", "pcac"):
        if plan[code].status == EXCLUDED:
            assert institution.name in reasons(plan[code])


def test_nfra_and_pcac_are_cautions_when_the_respondent_is_typed_in():
    complaint = letter_ready_complaint(
        respondent_institution=None, respondent_name="某某支付有限公司"
    )

    plan = plan_for(complaint)

    assert plan["nfra-12378"].status == CAUTION
    assert plan["pcac"].status == CAUTION
    assert plan["institution"].status == SUGGESTED


def test_arbitration_needs_the_commission_of_an_arbitration_clause():
    plan = plan_for(letter_ready_complaint())

    assert plan["arbitration"].status == EXCLUDED
    assert "《中华人民共和国仲裁法》第十六条" in reasons(plan["arbitration"])
    assert plan["court"].status == SUGGESTED
    assert "仲裁法" not in reasons(plan["court"])


def test_with_an_arbitration_clause_arbitration_is_suggested_and_court_cautioned():
    plan = plan_for(letter_ready_complaint(arbitration_commission=COMMISSION))

    assert plan["arbitration"].status == SUGGESTED
    assert COMMISSION in reasons(plan["arbitration"])
    assert plan["court"].status == CAUTION
    assert "《中华人民共和国仲裁法》第五条" in reasons(plan["court"])


def test_a_blank_commission_is_no_arbitration_clause():
    plan = plan_for(letter_ready_complaint(arbitration_commission="   "))

    assert plan["arbitration"].status == EXCLUDED
    assert plan["court"].status == SUGGESTED


def test_unknown_complainant_type_gives_cautions_where_it_matters():
    complaint = letter_ready_complaint(complainant_type="")

    plan = plan_for(complaint)

    assert plan["pboc"].status == CAUTION
    assert plan["samr-12315"].status == CAUTION
    assert plan["institution"].status == SUGGESTED
    assert plan["court"].status == SUGGESTED
    assert "个人消费者" in reasons(plan["samr-12315"]) or "Individual" in reasons(
        plan["samr-12315"]
    )


def test_inactive_channels_are_left_out():
    Channel.objects.filter(code__in=["pboc", "nfra-12378"]).update(is_active=False)

    plan = plan_for(letter_ready_complaint())

    assert "pboc" not in plan
    assert "nfra-12378" not in plan
    assert list(plan)[0] == "institution"


def test_plan_entry_finds_one_channel_or_none():
    complaint = letter_context.load_complaint(letter_ready_complaint().pk)

    assert channels.plan_entry(complaint, "court").channel.code == "court"
    assert channels.plan_entry(complaint, "no-such-channel") is None


def test_plan_runs_one_query_when_the_complaint_is_loaded_for_letters(
    django_assert_num_queries,
):
    complaint = letter_ready_complaint(evidence=5)
    loaded = letter_context.complaint_queryset().get(pk=complaint.pk)

    with django_assert_num_queries(1):
        plan = channels.channel_plan(loaded)

    assert len(plan) == len(SEEDED_CODES)


def test_plan_with_channels_given_runs_no_query(django_assert_num_queries):
    loaded = letter_context.load_complaint(letter_ready_complaint().pk)
    active = list(Channel.objects.filter(is_active=True).order_by("position"))

    with django_assert_num_queries(0):
        plan = channels.channel_plan(loaded, active)

    assert [e.channel.code for e in plan] == [c.code for c in active]


# --- Completeness ---------------------------------------------------------------


def test_12315_names_the_respondent_address_and_cites_article_9():
    institution = InstitutionFactory(address="")
    complaint = letter_ready_complaint(
        respondent_institution=institution, respondent_address=""
    )
    loaded = letter_context.load_complaint(complaint.pk)

    with translation.override("zh-hans"):
        problems = channels.missing_facts(loaded, channel("samr-12315"))

    assert [p.field for p in problems] == ["respondent_address"]
    assert "《市场监督管理投诉举报处理暂行办法》第九条" in messages(problems)
    assert zh_name("samr-12315") in messages(problems)
    assert problems[0].anchor == "div_id_respondent_address"


def test_the_listed_institutions_address_counts_as_the_respondent_address():
    institution = InstitutionFactory(address="北京市西城区示例街1号")
    complaint = letter_ready_complaint(
        respondent_institution=institution, respondent_address=""
    )
    loaded = letter_context.load_complaint(complaint.pk)

    assert channels.missing_facts(loaded, channel("samr-12315")) == []


def test_court_lists_what_article_124_requires_in_order():
    complaint = ComplaintFactory(
        complainant_type=ENT,
        representative_name="",
        respondent_address="",
        claims=[],
        claims_other="",
    )
    loaded = letter_context.load_complaint(complaint.pk)

    with translation.override("zh-hans"):
        problems = channels.missing_facts(loaded, channel("court"))

    assert [p.field for p in problems] == [
        "representative_name",
        "respondent_address",
        "claims",
        "losses",
        "evidence",
    ]
    for problem in problems:
        assert "《中华人民共和国民事诉讼法》第一百二十四条" in str(problem.message)
    assert [p.anchor for p in problems[:4]] == [
        "div_id_representative_name",
        "div_id_respondent_address",
        "div_id_claims",
        "losses",
    ]


def test_arbitration_cites_article_23_for_what_it_lacks():
    complaint = letter_ready_complaint(
        arbitration_commission=COMMISSION, respondent_address=""
    )
    complaint.evidence.all().delete()
    loaded = letter_context.load_complaint(complaint.pk)

    with translation.override("zh-hans"):
        problems = channels.missing_facts(loaded, channel("arbitration"))

    assert [p.field for p in problems] == ["respondent_address", "evidence"]
    assert "《中华人民共和国仲裁法》第二十三条" in messages(problems)


def test_arbitration_lacks_the_commission_when_asked_for_directly():
    loaded = letter_context.load_complaint(letter_ready_complaint().pk)

    problems = channels.missing_facts(loaded, channel("arbitration"))

    assert [p.field for p in problems] == ["arbitration_commission"]
    assert problems[0].anchor == "div_id_arbitration_commission"


def test_a_channel_without_articles_says_what_is_missing_without_a_citation():
    complaint = ComplaintFactory(narrative="")
    LossItemFactory(complaint=complaint)
    loaded = letter_context.load_complaint(complaint.pk)

    with translation.override("zh-hans"):
        problems = channels.missing_facts(loaded, channel("institution"))

    assert [p.field for p in problems] == ["narrative"]
    assert "《" not in messages(problems)


def test_only_enterprises_need_a_representative():
    individual = letter_context.load_complaint(
        letter_ready_complaint(complainant_type=IND, representative_name="").pk
    )
    sole_trader = letter_context.load_complaint(
        letter_ready_complaint(complainant_type=SOLE, representative_name="").pk
    )

    for loaded in (individual, sole_trader):
        fields = [p.field for p in channels.missing_facts(loaded, channel("court"))]
        assert "representative_name" not in fields


def test_rejected_evidence_still_counts_as_evidence_for_completeness():
    """The facts check asks for evidence files; the reviewer's verdict does
    not remove the file from the case."""
    complaint = letter_ready_complaint(evidence=0)
    EvidenceRowFactory(complaint=complaint, verdict="rejected")
    loaded = letter_context.load_complaint(complaint.pk)

    assert channels.missing_facts(loaded, channel("court")) == []


@pytest.mark.parametrize("ctype", [IND, SOLE, ENT])
def test_a_complete_complaint_lacks_nothing_for_any_usable_channel(ctype):
    complaint = letter_ready_complaint(
        complainant_type=ctype, arbitration_commission=COMMISSION
    )

    plan = plan_for(complaint)

    for code, entry in plan.items():
        if entry.usable:
            assert entry.missing == [], (code, messages(entry.missing))
            assert entry.ready, code


def test_every_fact_links_to_a_field_of_the_edit_form(client):
    """Each missing fact's anchor exists on the page it links to: the form
    field's crispy wrapper, the loss table, or the evidence page."""
    complaint = ComplaintFactory()
    client.force_login(complaint.owner)

    form_page = client.get(reverse("complaints:edit", args=[complaint.public_id]))

    html = form_page.content.decode()
    for fact in FACTS.values():
        if fact.field == "evidence":
            continue  # links to the evidence page (test_letter_views)
        anchor = channels.Problem(fact.field, "").anchor
        assert f'id="{anchor}"' in html, fact.key


def test_every_required_fact_of_every_channel_is_known():
    for data in CHANNELS:
        assert set(data.get("required_facts", [])) <= set(FACTS), data["code"]


def test_the_facts_check_runs_no_query_on_a_loaded_complaint(
    django_assert_num_queries,
):
    loaded = letter_context.load_complaint(letter_ready_complaint().pk)
    court = channel("court")

    with django_assert_num_queries(0):
        problems = channels.missing_facts(loaded, court)

    assert problems == []


# --- The statute articles (law.py) and Channel.clean() --------------------------


@pytest.mark.parametrize("code", SEEDED_CODES)
def test_every_article_a_seeded_channel_cites_is_in_the_reference_texts(code):
    data = next(c for c in CHANNELS if c["code"] == code)
    keys = [*data.get("letter_articles", []), *data.get("required_facts_articles", [])]

    for key in keys:
        article = law.article(key)
        assert article.text.strip(), key
        assert article.citation.startswith("《"), key
        file_name, _statute = law.STATUTES[key.rpartition("-")[0]]
        source = (law.LAW_DIR / file_name).read_text(encoding="utf-8")
        assert article.label in source, key
        for line in article.text.splitlines():
            assert line in source, key


@pytest.mark.parametrize(
    ("key", "citation", "words"),
    [
        ("暂行办法-9", "《市场监督管理投诉举报处理暂行办法》第九条", "投诉应当提供"),
        ("民事诉讼法-124", "《中华人民共和国民事诉讼法》第一百二十四条", "起诉状"),
        ("仲裁法-23", "《中华人民共和国仲裁法》第二十三条", "仲裁申请书"),
        ("民法典总则-195", "《中华人民共和国民法典》第一百九十五条", "诉讼时效中断"),
        ("条例-35", "《非银行支付机构监督管理条例》第三十五条", "妥善处理"),
    ],
)
def test_articles_are_cited_and_quoted_from_the_texts(key, citation, words):
    article = law.article(key)

    assert article.citation == citation
    assert words in article.text


def test_an_article_keeps_all_its_paragraphs():
    """民事诉讼法 art. 124 lists four items on lines of their own."""
    text = law.article("民事诉讼法-124").text

    assert "（一）" in text
    assert "（四）" in text
    assert "第一百二十五条" not in text


@pytest.mark.parametrize("prefix", sorted(law.STATUTES))
def test_article_texts_carry_no_invisible_characters_or_blank_lines(prefix):
    """What a letter quotes is the article's wording only: no zero-width
    spaces (the vendored files put U+200B lines before chapter headings)
    and no blank lines taken from between articles."""
    file_name, _statute = law.STATUTES[prefix]
    odd = {}
    for number, (_label, text) in law._articles(file_name).items():
        lines = text.split("\n")
        if "\u200b" in text or "\ufeff" in text or any(not ln.strip() for ln in lines):
            odd[number] = text[-20:]

    assert odd == {}


@pytest.mark.parametrize(
    "key", ["条例-9999", "不存在的法-1", "民事诉讼法-0", "条例35", "民法典-195"]
)
def test_an_unknown_article_raises_key_error(key):
    with pytest.raises(KeyError):
        law.article(key)


def test_seeded_channels_pass_their_own_validation():
    checked = 0
    for obj in Channel.objects.all():
        obj.clean()  # raises ValidationError on a bad article or template
        checked += 1

    assert checked == len(CHANNELS)


@pytest.mark.parametrize("field", ["letter_articles", "required_facts_articles"])
def test_channel_clean_rejects_an_article_outside_the_reference_texts(field):
    court = channel("court")
    setattr(court, field, ["民事诉讼法-124", "民事诉讼法-9999", "某法-1"])

    with pytest.raises(ValidationError) as excinfo:
        court.clean()

    assert set(excinfo.value.message_dict) == {field}
    message = " ".join(excinfo.value.message_dict[field])
    assert "民事诉讼法-9999" in message
    assert "某法-1" in message
    assert "民事诉讼法-124," not in message


def test_channel_clean_rejects_a_template_that_does_not_exist():
    court = channel("court")
    court.letter_template = "letters/no-such-letter.html"

    with pytest.raises(ValidationError) as excinfo:
        court.clean()

    assert set(excinfo.value.message_dict) == {"letter_template"}


def test_plan_reasons_carry_no_personal_data():
    """Reasons are about the rules, not the person: they are shown on pages
    that may be screenshotted and shared."""
    complaint = letter_ready_complaint(complainant_name="王小明")

    for entry in plan_for(complaint).values():
        assert "王小明" not in reasons(entry)
        assert complaint.id_number not in reasons(entry)
        assert complaint.contact_phone not in reasons(entry)
