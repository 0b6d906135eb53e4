"""The complaint pages through the test client: validation as users meet it,
submission, idempotent creation, owner isolation, query budgets, masking of
personal data and the loss rows."""

import datetime
import re
import uuid
from collections import defaultdict
from decimal import Decimal
from html import escape
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from complaints.models import (
    CaseNumberCounter,
    Complaint,
    Evidence,
    Letter,
    LossItem,
    Status,
    StatusChange,
    letter_storage,
)
from tests import evidence_samples
from tests.evidence_samples import attach, use_evidence_storage
from tests.factories import (
    BrandFactory,
    ComplaintFactory,
    FilingFactory,
    InstitutionFactory,
    LossItemFactory,
    UserFactory,
)
from tests.letter_factories import stored_letter

CREATE_URL = "/cases/new/"
LIST_URL = "/cases/"
NUMBER_RE = re.compile(r"^WQ-\d{4}-\d{6}$")
NARRATIVE = "机器突然停用，结算款至今未到账，客服电话无人接听，押金也未退还。"
MANAGEMENT_KEYS = {
    "losses-TOTAL_FORMS",
    "losses-INITIAL_FORMS",
    "losses-MIN_NUM_FORMS",
    "losses-MAX_NUM_FORMS",
}
BUTTONS = {"save", "submit", "add_row"}


# --- helpers --------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 costs ~0.2 s per factory user; these tests are not about passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def en_client(owner_client):
    """The owner's browser, asking for English pages."""
    owner_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return owner_client


def tomorrow() -> str:
    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


def create_data(**overrides) -> dict:
    """A complete, valid create-form POST with one loss row."""
    data = {
        "creation_token": str(uuid.uuid4()),
        "complainant_type": "individual",
        "complainant_name": "李四",
        "id_number": "11010519491231002X",
        "contact_phone": "13800138000",
        "address": "北京市朝阳区某路2号",
        "province": "BJ",
        "city": "朝阳区",
        "respondent_name": "某支付有限公司",
        "agent_name": "王五",
        "agent_phone": "13912345678",
        "terminal_sn": "AB-1234",
        "terminal_number": "T0001234",
        "merchant_number": "831290157220001",
        "terminal_model": "P30",
        "activated_on": "2024-03-01",
        "deposit_paid": "299",
        "deactivated_on": "2025-06-01",
        "deactivation_notice": "sms",
        "deactivation_notice_detail": "短信通知机器已停用",
        "last_settlement_on": "2025-05-31",
        "harm_known_on": "2025-06-02",
        "narrative": NARRATIVE,
        "prior_contact": "no_answer",
        "prior_contact_detail": "拨打客服热线三次无人接听",
        "claims": ["release_funds", "refund_deposit"],
        "claims_other": "书面说明停用原因",
        "consent_processing": "on",
        "consent_sensitive": "on",
        "losses-TOTAL_FORMS": "1",
        "losses-INITIAL_FORMS": "0",
        "losses-MIN_NUM_FORMS": "0",
        "losses-MAX_NUM_FORMS": "50",
        "losses-0-category": "frozen_funds",
        "losses-0-amount": "1234.50",
        "losses-0-occurred_on": "2025-06-01",
        "losses-0-description": "冻结的结算款",
        "save": "1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


class _FormValues(HTMLParser):
    """What a browser would send from the complaint form, as rendered."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values = defaultdict(list)
        self._in_form = False
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "data-complaint-form" in attrs:
            self._in_form = True
        if not self._in_form:
            return
        name = attrs.get("name")
        if name == "csrfmiddlewaretoken":
            return
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.values[name].append(attrs.get("value") or "on")
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self.values[name].append(attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
        elif tag == "select" and name:
            self._select = {"name": name, "first": None, "chosen": []}
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attrs:
                self._select["chosen"].append(value)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self.values[name].append(text.removeprefix("\r\n").removeprefix("\n"))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = self._select["chosen"] or [self._select["first"]]
            self.values[self._select["name"]].extend(chosen)
            self._select = None


def form_values(response) -> dict[str, list[str]]:
    """Field name → values the rendered complaint form holds (no template rows)."""
    parser = _FormValues()
    parser.feed(response.content.decode())
    return {k: v for k, v in parser.values.items() if "__prefix__" not in k}


def as_list(value) -> list[str]:
    return list(value) if isinstance(value, list | tuple) else [str(value)]


def assert_form_shows_everything_typed(response, data):
    shown = form_values(response)
    for name, value in data.items():
        if name in MANAGEMENT_KEYS or name in BUTTONS:
            continue
        expected = as_list(value)
        if name == "claims":
            # A claim that is not offered has no box to show it in.
            expected = [v for v in expected if v != "bogus"]
        assert shown.get(name) == expected, name


def edit_data(client, complaint, **overrides) -> dict:
    """The edit form as the browser would send it unchanged, plus overrides."""
    response = client.get(reverse("complaints:edit", args=[complaint.public_id]))
    assert response.status_code == 200
    data = dict(form_values(response))
    data["save"] = "1"
    data.update(overrides)
    return data


def stored_state(complaint) -> tuple:
    """Every stored column of the complaint and its loss items."""
    fresh = Complaint.objects.get(pk=complaint.pk)
    facts = {
        f.attname: getattr(fresh, f.attname) for f in Complaint._meta.concrete_fields
    }
    losses = list(LossItem.objects.filter(complaint=complaint).order_by("pk").values())
    return facts, losses


def errors_in(response, field) -> list[str]:
    """Error codes for a complaint field, or for `losses-<i>-<field>`."""
    match = re.fullmatch(r"losses-(\d+)-(\w+)", field)
    if match:
        form = response.context["formset"].forms[int(match[1])]
        field = match[2]
    else:
        form = response.context["form"]
    return [error.code for error in form.errors.as_data().get(field, [])]


def assert_in_html(response, text):
    html = response.content.decode()
    assert escape(str(text)) in html, f"{text!r} not on the page"


# --- 1. Validation table, through the create and edit pages ---------------------

AMOUNT_MESSAGES = {
    "invalid": "Enter an amount in yuan, for example 1280.50.",
    "min_value": "The amount must be more than zero.",
    "max_value": "The amount cannot exceed 99,999,999.99 yuan.",
    "max_decimal_places": "Use at most two decimal places (fen).",
}
BAD_AMOUNTS = [
    ("abc", "invalid"),
    ("-5", "min_value"),
    ("0", "min_value"),
    ("1e5", "invalid"),
    ("1.005", "max_decimal_places"),
    ("100000000", "max_value"),
]
FUTURE = "The date cannot be in the future."
ID_MSG = "This is not a valid mainland ID number: check the 18 characters (the last may be X)."
CREDIT_MSG = "This is not a valid unified social credit code (18 characters)."


def _too_long(limit):
    return f"Ensure this value has at most {limit} characters (it has {limit + 1})."


# (id, overrides, field with the error, error code, English message)
INVALID_INPUTS = [
    *(
        (f"{field}={value}", {field: value}, field, code, AMOUNT_MESSAGES[code])
        for field in ("deposit_paid", "losses-0-amount")
        for value, code in BAD_AMOUNTS
    ),
    *(
        (f"{field}=tomorrow", {field: "TOMORROW"}, field, "future", FUTURE)
        for field in (
            "activated_on",
            "deactivated_on",
            "last_settlement_on",
            "harm_known_on",
            "losses-0-occurred_on",
        )
    ),
    (
        "deactivated-before-activated",
        {"activated_on": "2024-03-01", "deactivated_on": "2024-02-29"},
        "deactivated_on",
        "before_activation",
        "The deactivation date cannot be before the activation date.",
    ),
    (
        "settled-before-activated",
        {"activated_on": "2024-03-01", "last_settlement_on": "2024-02-01"},
        "last_settlement_on",
        "before_activation",
        "The last settlement cannot be before the activation date.",
    ),
    (
        "impossible-date",
        {"deactivated_on": "2025-02-30"},
        "deactivated_on",
        "invalid",
        "Enter a valid date, for example 2026-03-15.",
    ),
    (
        "id-checksum",
        {"complainant_type": "individual", "id_number": "110105194912310021"},
        "id_number",
        "invalid_id_number",
        ID_MSG,
    ),
    (
        "individual-with-credit-code",
        {"complainant_type": "individual", "id_number": "91110000600037341L"},
        "id_number",
        "invalid_id_number",
        ID_MSG,
    ),
    (
        "enterprise-credit-code-checksum",
        {
            "complainant_type": "enterprise",
            "representative_name": "赵六",
            "id_number": "91110000600037341M",
        },
        "id_number",
        "invalid_credit_code",
        CREDIT_MSG,
    ),
    (
        "sole-trader-with-id-number",
        {"complainant_type": "sole_trader", "id_number": "11010519491231002X"},
        "id_number",
        "invalid_credit_code",
        CREDIT_MSG,
    ),
    (
        "merchant-14-digits",
        {"merchant_number": "83129015722000"},
        "merchant_number",
        "invalid_merchant_number",
        "The merchant number has exactly 15 digits (see your receipt).",
    ),
    (
        "merchant-letter",
        {"merchant_number": "83129015722000A"},
        "merchant_number",
        "invalid_merchant_number",
        "The merchant number has exactly 15 digits (see your receipt).",
    ),
    (
        "merchant-16-digits",
        {"merchant_number": "8312901572200011"},
        "merchant_number",
        "max_length",
        _too_long(15),
    ),
    *(
        (
            f"sn={value[:12]}",
            {"terminal_sn": value},
            "terminal_sn",
            code,
            message,
        )
        for value, code, message in [
            ("AB1", "invalid_sn", None),
            ("AB#1234", "invalid_sn", None),
            ("-AB1234", "invalid_sn", None),
            ("A" * 41, "max_length", _too_long(40)),
        ]
    ),
    *(
        (
            f"terminal-number={value[:12]}",
            {"terminal_number": value},
            "terminal_number",
            code,
            message,
        )
        for value, code, message in [
            ("T-0001", "invalid_terminal_number", None),
            ("T01", "invalid_terminal_number", None),
            ("1" * 21, "max_length", _too_long(20)),
        ]
    ),
    (
        "phone",
        {"contact_phone": "call me"},
        "contact_phone",
        "invalid_phone",
        "Enter a phone number: a mobile number or a landline with area code.",
    ),
    *(
        (
            f"{field}-too-long",
            {field: "很" * (limit + 1)},
            field,
            "max_length",
            _too_long(limit),
        )
        for field, limit in [
            ("narrative", 5000),
            ("complainant_name", 100),
            ("address", 200),
            ("deactivation_notice_detail", 500),
            ("prior_contact_detail", 2000),
            ("claims_other", 1000),
            ("losses-0-description", 500),
        ]
    ),
    (
        "unknown-claim",
        {"claims": ["release_funds", "bogus"]},
        "claims",
        "invalid_choice",
        "Select a valid choice. bogus is not one of the available choices.",
    ),
    (
        "loss-without-category",
        {"losses-0-category": ""},
        "losses-0-category",
        "required",
        "This field is required.",
    ),
]
SN_MSG = "The SN is 4 to 40 letters, digits, '-' or '_', as printed on the back of the terminal."
TN_MSG = "The terminal number is 4 to 20 letters or digits."
INVALID_INPUTS = [
    (
        case_id,
        overrides,
        field,
        code,
        message or {"invalid_sn": SN_MSG, "invalid_terminal_number": TN_MSG}[code],
    )
    for case_id, overrides, field, code, message in INVALID_INPUTS
]


def _resolve(overrides):
    return {k: tomorrow() if v == "TOMORROW" else v for k, v in overrides.items()}


@pytest.mark.parametrize(
    ("overrides", "field", "code", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in INVALID_INPUTS],
)
def test_create_refuses_bad_input_saves_nothing_and_keeps_what_was_typed(
    en_client, overrides, field, code, message
):
    data = create_data(**_resolve(overrides))

    response = en_client.post(CREATE_URL, data)

    assert response.status_code == 200
    assert code in errors_in(response, field)
    assert_in_html(response, message)
    assert_in_html(response, "Please correct the marked fields. Nothing was saved yet.")
    assert Complaint.objects.count() == 0
    assert LossItem.objects.count() == 0
    assert CaseNumberCounter.objects.count() == 0  # no case number used up
    assert_form_shows_everything_typed(response, data)


@pytest.mark.parametrize(
    ("overrides", "field", "code", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in INVALID_INPUTS],
)
def test_edit_refuses_bad_input_keeps_stored_draft_and_what_was_typed(
    en_client, complaint, overrides, field, code, message
):
    data = edit_data(en_client, complaint, **_resolve(overrides))
    before = stored_state(complaint)

    response = en_client.post(
        reverse("complaints:edit", args=[complaint.public_id]), data
    )

    assert response.status_code == 200
    assert code in errors_in(response, field)
    assert_in_html(response, message)
    assert_in_html(
        response,
        "Please correct the marked fields. Your last saved draft is unchanged.",
    )
    assert stored_state(complaint) == before
    assert_form_shows_everything_typed(response, data)


GOOD_AMOUNTS = [
    ("１２３４.５", Decimal("1234.50")),
    ("1,234.50", Decimal("1234.50")),
    ("¥299", Decimal("299.00")),
    ("300元", Decimal("300.00")),
    ("0.01", Decimal("0.01")),
    ("99,999,999.99", Decimal("99999999.99")),
]


@pytest.mark.parametrize(("typed", "stored"), GOOD_AMOUNTS)
@pytest.mark.parametrize("field", ["deposit_paid", "losses-0-amount"])
def test_create_accepts_amounts_as_typed_and_stores_exact_decimals(
    owner_client, user, field, typed, stored
):
    response = owner_client.post(CREATE_URL, create_data(**{field: typed}))

    assert response.status_code == 302
    complaint = Complaint.objects.get(owner=user)
    if field == "deposit_paid":
        value = complaint.deposit_paid
    else:
        value = complaint.loss_items.get().amount
    assert isinstance(value, Decimal)
    assert value == stored


@pytest.mark.parametrize(("typed", "stored"), GOOD_AMOUNTS)
def test_edit_accepts_amounts_as_typed(owner_client, complaint, typed, stored):
    url = reverse("complaints:edit", args=[complaint.public_id])
    data = edit_data(owner_client, complaint, **{"losses-0-amount": typed})

    response = owner_client.post(url, data)

    assert response.status_code == 302
    assert complaint.loss_items.get().amount == stored


def test_create_normalises_what_is_typed_on_a_phone(owner_client, user):
    data = create_data(
        id_number="11010519491231002x",
        contact_phone="+86 138-0013-8000",
        terminal_sn="ab-1234",
        terminal_number="ｔ０００１２３４",
        merchant_number="８３１２９０１５７２２０００１",
        claims=["stop_fees", "release_funds"],
    )

    response = owner_client.post(CREATE_URL, data)

    assert response.status_code == 302
    complaint = Complaint.objects.get(owner=user)
    assert complaint.id_number == "11010519491231002X"
    assert complaint.contact_phone == "13800138000"
    assert complaint.terminal_sn == "AB-1234"
    assert complaint.terminal_number == "T0001234"
    assert complaint.merchant_number == "831290157220001"
    assert complaint.claims == ["release_funds", "stop_fees"]


@pytest.mark.parametrize(
    ("complainant_type", "id_number"),
    [
        ("individual", "11010519491231002X"),
        ("sole_trader", "91110000600037341L"),
        ("enterprise", "91110000600037341L"),
    ],
)
def test_create_accepts_the_identity_number_matching_the_complainant_type(
    owner_client, user, complainant_type, id_number
):
    data = create_data(
        complainant_type=complainant_type,
        id_number=id_number,
        representative_name="赵六",
    )
    response = owner_client.post(CREATE_URL, data)
    assert response.status_code == 302
    assert Complaint.objects.get(owner=user).id_number == id_number


def test_create_form_page_offers_a_fresh_creation_token(owner_client):
    tokens = [
        form_values(owner_client.get(CREATE_URL))["creation_token"][0] for _ in range(2)
    ]
    assert all(uuid.UUID(token) for token in tokens)
    assert tokens[0] != tokens[1]


def test_an_empty_draft_can_be_saved(owner_client, user):
    data = {
        "creation_token": str(uuid.uuid4()),
        "losses-TOTAL_FORMS": "1",
        "losses-INITIAL_FORMS": "0",
        "losses-MIN_NUM_FORMS": "0",
        "losses-MAX_NUM_FORMS": "50",
        "save": "1",
    }
    response = owner_client.post(CREATE_URL, data)
    complaint = Complaint.objects.get(owner=user)
    assert response.status_code == 302
    assert response.url == complaint.get_absolute_url()
    assert complaint.status == Status.DRAFT
    assert complaint.loss_items.count() == 0  # the blank extra row is dropped


# --- 2. Submission -----------------------------------------------------------------

MISSING = {
    "complainant_type": "Say whether you are an individual, an individual business or an enterprise.",
    "complainant_name": "Enter your name (or the business name).",
    "id_number": "Enter your ID number (or unified social credit code).",
    "contact_phone": "Enter a contact phone number.",
    "address": "Enter a mailing address.",
    "province": "Choose your province.",
    "deactivated_on": "Enter the date the terminal was deactivated.",
    "harm_known_on": "Enter the date you learnt of the harm.",
    "narrative": "Describe what happened.",
    "respondent": "Choose the payment institution, or type the name on your receipt.",
    "terminal": "Enter at least one of: terminal SN, terminal number, merchant number.",
    "claims": "Say what you are asking for.",
    "consent_processing": "Agree to the processing of your personal information for this case.",
    "consent_sensitive": "Give separate consent for your ID number and financial details.",
    "losses": "Add at least one loss with its amount.",
    "representative_name": "Enter the legal representative's name.",
    "short_narrative": "Describe what happened in at least 20 characters.",
}

# Which stored facts to blank for each missing item.
BLANKED = {
    "complainant_type": {"complainant_type": ""},
    "complainant_name": {"complainant_name": ""},
    "id_number": {"id_number": ""},
    "contact_phone": {"contact_phone": ""},
    "address": {"address": ""},
    "province": {"province": ""},
    "deactivated_on": {"deactivated_on": None},
    "harm_known_on": {"harm_known_on": None},
    "narrative": {"narrative": ""},
    "respondent": {"respondent_institution": None, "respondent_name": ""},
    "terminal": {"terminal_sn": "", "terminal_number": "", "merchant_number": ""},
    "claims": {"claims": [], "claims_other": ""},
    "consent_processing": {"consent_processing_at": None},
    "consent_sensitive": {"consent_sensitive_at": None},
    "losses": {},
    "representative_name": {
        "complainant_type": "enterprise",
        "id_number": "91110000600037341L",
        "representative_name": "",
    },
    "short_narrative": {"narrative": "机器停用了。"},
}


@pytest.mark.parametrize("missing", list(BLANKED))
def test_submit_refuses_incomplete_draft_and_names_what_is_missing(
    en_client, user, missing
):
    complaint = ComplaintFactory(owner=user, **BLANKED[missing])
    if missing != "losses":
        LossItemFactory(complaint=complaint)

    response = en_client.post(reverse("complaints:submit", args=[complaint.public_id]))

    assert response.status_code == 200
    assert_in_html(response, "The case cannot be submitted yet.")
    items = re.findall(
        r"<li>(.*?)</li>",
        response.content.decode()
        .split('data-testid="missing-list"')[1]
        .split("</ul>")[0],
        re.S,
    )
    assert [re.sub(r"<[^>]+>", "", item) for item in items] == [
        escape(MISSING[missing])
    ]
    complaint.refresh_from_db()
    assert complaint.status == Status.DRAFT
    assert complaint.submitted_at is None
    assert not StatusChange.objects.filter(complaint=complaint).exists()


def test_not_ready_page_lists_every_missing_item_of_an_empty_draft(en_client, user):
    complaint = ComplaintFactory(
        owner=user,
        **{
            k: v
            for name, blank in BLANKED.items()
            if name not in ("representative_name", "short_narrative")
            for k, v in blank.items()
        },
    )
    response = en_client.post(reverse("complaints:submit", args=[complaint.public_id]))

    assert response.status_code == 200
    for name, message in MISSING.items():
        if name in ("representative_name", "short_narrative"):
            continue
        assert_in_html(response, message)
    # Each item links to the place in the edit form where it is completed.
    edit_url = reverse("complaints:edit", args=[complaint.public_id])
    edit_page = en_client.get(edit_url).content.decode()
    anchors = re.findall(rf'href="{edit_url}#([^"]+)"', response.content.decode())
    assert len(anchors) == len(MISSING) - 2
    for anchor in anchors:
        assert f'id="{anchor}"' in edit_page, anchor


def test_detail_page_of_a_draft_lists_what_is_still_missing(en_client, user):
    complaint = ComplaintFactory(owner=user, narrative="")
    response = en_client.get(complaint.get_absolute_url())
    assert_in_html(response, MISSING["narrative"])
    assert_in_html(response, MISSING["losses"])


def test_complete_draft_submits_with_one_status_change(en_client, user, complaint):
    response = en_client.post(reverse("complaints:submit", args=[complaint.public_id]))

    assert response.status_code == 302
    assert response.url == complaint.get_absolute_url()
    complaint.refresh_from_db()
    assert complaint.status == Status.SUBMITTED
    assert complaint.submitted_at is not None
    change = StatusChange.objects.get(complaint=complaint)
    assert (change.from_status, change.to_status, change.actor) == (
        Status.DRAFT,
        Status.SUBMITTED,
        user,
    )
    assert change.visible_to_user
    page = en_client.get(response.url)
    assert_in_html(page, f"Case {complaint.number} has been submitted.")


def test_submitting_twice_writes_one_status_change(owner_client, complaint):
    url = reverse("complaints:submit", args=[complaint.public_id])
    owner_client.post(url)
    submitted_at = Complaint.objects.get(pk=complaint.pk).submitted_at

    response = owner_client.post(url)

    assert response.status_code == 302
    assert StatusChange.objects.filter(complaint=complaint).count() == 1
    assert Complaint.objects.get(pk=complaint.pk).submitted_at == submitted_at


def test_save_and_submit_from_the_create_form(owner_client, user):
    response = owner_client.post(CREATE_URL, create_data(save=None, submit="1"))
    complaint = Complaint.objects.get(owner=user)
    assert response.status_code == 302
    assert complaint.status == Status.SUBMITTED
    assert StatusChange.objects.filter(complaint=complaint).count() == 1


def test_save_and_submit_without_consent_saves_the_draft_and_shows_what_is_missing(
    en_client, user
):
    data = create_data(save=None, submit="1", consent_sensitive=None)

    response = en_client.post(CREATE_URL, data)

    assert response.status_code == 200
    assert_in_html(response, MISSING["consent_sensitive"])
    complaint = Complaint.objects.get(owner=user)
    assert complaint.status == Status.DRAFT
    assert complaint.consent_processing_at is not None
    assert complaint.consent_sensitive_at is None


def test_save_and_submit_from_the_edit_form(owner_client, complaint):
    url = reverse("complaints:edit", args=[complaint.public_id])
    data = edit_data(owner_client, complaint, submit="1", city="黄浦区")
    del data["save"]

    response = owner_client.post(url, data)

    assert response.status_code == 302
    complaint.refresh_from_db()
    assert (complaint.status, complaint.city) == (Status.SUBMITTED, "黄浦区")


def test_detail_offers_the_submit_button_only_while_it_is_allowed(owner_client, user):
    draft = ComplaintFactory(owner=user)
    submitted = ComplaintFactory(owner=user, status=Status.SUBMITTED)
    submit_url = reverse("complaints:submit", args=[draft.public_id])
    assert submit_url in owner_client.get(draft.get_absolute_url()).content.decode()
    page = owner_client.get(submitted.get_absolute_url()).content.decode()
    assert reverse("complaints:submit", args=[submitted.public_id]) not in page
    assert reverse("complaints:edit", args=[submitted.public_id]) not in page


@pytest.mark.parametrize(
    ("status", "editable"),
    [(status, status in (Status.DRAFT, Status.NEEDS_INFO)) for status in Status],
)
def test_edit_page_is_open_only_in_draft_and_needs_info(
    en_client, user, status, editable
):
    complaint = ComplaintFactory(owner=user, status=status)
    url = reverse("complaints:edit", args=[complaint.public_id])

    response = en_client.get(url)

    if editable:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response.url == complaint.get_absolute_url()
        page = en_client.get(response.url)
        assert_in_html(
            page, "This case has been submitted and can no longer be edited."
        )


def test_edit_post_on_a_submitted_case_changes_nothing(owner_client, user):
    complaint = ComplaintFactory(owner=user, status=Status.SUBMITTED)
    item = LossItemFactory(complaint=complaint)
    before = stored_state(complaint)
    data = create_data(
        complainant_name="改名",
        **{
            "losses-TOTAL_FORMS": "2",
            "losses-INITIAL_FORMS": "1",
            "losses-0-id": str(item.pk),
            "losses-0-amount": "1",
            "losses-0-DELETE": "on",
            "losses-1-category": "fees",
            "losses-1-amount": "50",
        },
    )

    response = owner_client.post(
        reverse("complaints:edit", args=[complaint.public_id]), data
    )

    assert response.status_code == 302
    assert response.url == complaint.get_absolute_url()
    assert stored_state(complaint) == before


def test_create_ignores_posted_workflow_and_ownership_fields(
    owner_client, user, other_user
):
    data = create_data(
        status=Status.ACCEPTED,
        owner=str(other_user.pk),
        number="WQ-1999-999999",
        assignee=str(other_user.pk),
        outcome="full",
        amount_recovered="500",
        submitted_at="2025-01-01T00:00:00Z",
        public_id=str(uuid.uuid4()),
        consent_policy_version="hacked",
    )

    owner_client.post(CREATE_URL, data)

    complaint = Complaint.objects.get()
    assert complaint.owner == user
    assert complaint.status == Status.DRAFT
    assert NUMBER_RE.match(complaint.number)
    assert complaint.number != "WQ-1999-999999"
    assert complaint.assignee is None
    assert complaint.outcome == ""
    assert complaint.amount_recovered is None
    assert complaint.submitted_at is None
    assert str(complaint.public_id) != data["public_id"]
    assert complaint.consent_policy_version == settings.PRIVACY_POLICY_VERSION


def test_edit_ignores_posted_workflow_and_ownership_fields(
    owner_client, complaint, other_user
):
    before, _losses = stored_state(complaint)
    data = edit_data(
        owner_client,
        complaint,
        city="黄浦区",
        status=Status.ACCEPTED,
        owner=str(other_user.pk),
        number="WQ-1999-999999",
        assignee=str(other_user.pk),
        outcome="full",
        amount_recovered="500",
        submitted_at="2025-01-01T00:00:00Z",
        public_id=str(uuid.uuid4()),
        creation_token=str(uuid.uuid4()),
    )

    response = owner_client.post(
        reverse("complaints:edit", args=[complaint.public_id]), data
    )

    assert response.status_code == 302
    after, _losses = stored_state(complaint)
    assert after["city"] == "黄浦区"  # the legitimate change was saved
    for name in (
        "status",
        "owner_id",
        "number",
        "assignee_id",
        "outcome",
        "amount_recovered",
        "submitted_at",
        "public_id",
        "creation_token",
    ):
        assert after[name] == before[name], name


def test_edit_cannot_touch_another_complaints_loss_item(
    owner_client, complaint, other_user
):
    foreign = LossItemFactory(complaint=ComplaintFactory(owner=other_user))
    data = edit_data(
        owner_client,
        complaint,
        **{"losses-0-id": str(foreign.pk), "losses-0-amount": "1"},
    )

    owner_client.post(reverse("complaints:edit", args=[complaint.public_id]), data)

    foreign.refresh_from_db()
    assert foreign.amount == Decimal("1000.00")
    assert foreign.complaint.owner == other_user
    assert foreign.pk not in complaint.loss_items.values_list("pk", flat=True)


# --- 3. Case numbers through the create page ---------------------------------------


def test_created_cases_get_sequential_numbers_of_this_year(owner_client, user):
    for _ in range(3):
        owner_client.post(CREATE_URL, create_data())
    year = timezone.localdate().year
    numbers = sorted(
        Complaint.objects.filter(owner=user).values_list("number", flat=True)
    )
    assert numbers == [f"WQ-{year}-{n:06d}" for n in (1, 2, 3)]


# --- 4. Idempotent creation -------------------------------------------------------


def test_posting_the_create_form_twice_with_one_token_makes_one_case(
    owner_client, user
):
    data = create_data()

    first = owner_client.post(CREATE_URL, data)
    second = owner_client.post(CREATE_URL, data)

    complaint = Complaint.objects.get(owner=user)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == complaint.get_absolute_url()
    assert complaint.loss_items.count() == 1
    assert CaseNumberCounter.objects.get().last == 1


def test_resubmitting_a_token_with_submit_does_not_create_or_submit_twice(
    owner_client, user
):
    data = create_data(save=None, submit="1")
    owner_client.post(CREATE_URL, data)
    second = owner_client.post(CREATE_URL, data)
    complaint = Complaint.objects.get(owner=user)
    assert second.url == complaint.get_absolute_url()
    assert StatusChange.objects.filter(complaint=complaint).count() == 1


def test_the_same_token_from_two_users_makes_two_cases(client, user, other_user):
    data = create_data()
    for person in (user, other_user):
        client.force_login(person)
        client.post(CREATE_URL, data)
    assert Complaint.objects.filter(owner=user).count() == 1
    assert Complaint.objects.filter(owner=other_user).count() == 1


def test_a_refused_post_keeps_its_token_so_the_retry_stays_idempotent(
    owner_client, user
):
    data = create_data(deposit_paid="abc")
    refused = owner_client.post(CREATE_URL, data)
    assert form_values(refused)["creation_token"] == [data["creation_token"]]

    data["deposit_paid"] = "299"
    owner_client.post(CREATE_URL, data)
    owner_client.post(CREATE_URL, data)
    assert Complaint.objects.filter(owner=user).count() == 1


# --- 5. Owner isolation -----------------------------------------------------------


def _complaint_url_names() -> list[str]:
    """Every URL name in the `complaints` namespace that takes a public_id."""
    _prefix, resolver = get_resolver().namespace_dict["complaints"]
    names = []
    for pattern in resolver.url_patterns:
        assert not isinstance(pattern, URLResolver), "nested include: extend the walk"
        if "public_id" in pattern.pattern.regex.groupindex:
            names.append(pattern.name)
    return names


def _converters(name) -> set[str]:
    _prefix, resolver = get_resolver().namespace_dict["complaints"]
    (pattern,) = [p for p in resolver.url_patterns if p.name == name]
    return set(pattern.pattern.regex.groupindex)


COMPLAINT_URL_NAMES = _complaint_url_names()
# Object ids the walk knows how to fill in. A URL taking any other id fails
# the walk until it is taught here.
KNOWN_IDS = {"public_id", "evidence_id", "channel", "letter_id", "filing_id"}
# Pages a reviewer may use on someone else's case: reading the evidence.
# Every other complaint page is the owner's alone.
REVIEWER_READABLE = {"evidence_download", "evidence_thumbnail"}
# Pages that answer GET only: a POST is refused (405) for everybody, before
# anything is looked up, so it tells "missing" and "not yours" apart no more
# than a 404 would.
GET_ONLY = {"letter_draft_pdf", "letter_download"}


@pytest.fixture
def evidence_item(settings, tmp_path, complaint):
    """An image attached to `complaint` (an image, so it has a preview), and
    a stored letter version of it (the walk needs an id of each)."""
    use_evidence_storage(settings, tmp_path / "evidence")
    item = attach(complaint, evidence_samples.jpeg(), "停机通知.jpg")
    item.letter = stored_letter(complaint, complaint.owner)
    item.filing = FilingFactory(complaint=complaint)
    return item


def complaint_url(name, complaint, evidence=None, *, missing=False):
    """The URL `name` for `complaint` (and its evidence and letter), or for
    ids that exist nowhere when `missing` (the channel code is public)."""
    letter = getattr(evidence, "letter", None)
    ids = {
        "public_id": uuid.uuid4() if missing else complaint.public_id,
        "evidence_id": uuid.uuid4()
        if missing
        else getattr(evidence, "public_id", None),
        "channel": "institution",
        "letter_id": uuid.uuid4() if missing else getattr(letter, "public_id", None),
        "filing_id": uuid.uuid4()
        if missing
        else getattr(getattr(evidence, "filing", None), "public_id", None),
    }
    converters = _converters(name)
    assert converters <= KNOWN_IDS, f"teach the walk the ids of {name}"
    return reverse(f"complaints:{name}", kwargs={k: ids[k] for k in converters})


def evidence_state(complaint) -> tuple:
    """The evidence rows of the complaint and the files they point to (the
    preview is a cache made on first view, so it is left out)."""
    items = list(
        Evidence.objects.filter(complaint=complaint)
        .order_by("pk")
        .values(
            *[
                f.attname
                for f in Evidence._meta.concrete_fields
                if f.name != "thumbnail"
            ]
        )
    )
    files = [Evidence.file.field.storage.exists(i["file"]) for i in items]
    return items, files


def letter_state(complaint) -> tuple:
    """The stored letter versions of the complaint and their files."""
    rows = list(Letter.objects.filter(complaint=complaint).order_by("pk").values())
    return rows, [letter_storage().exists(row["file"]) for row in rows]


def test_the_isolation_walk_covers_the_known_complaint_pages():
    assert {
        "detail",
        "edit",
        "submit",
        "evidence_upload",
        "evidence_upload_one",
        "evidence_download",
        "evidence_thumbnail",
        "evidence_edit",
        "evidence_delete",
        "letter_preview",
        "letter_draft_pdf",
        "letter_issue",
        "letter_download",
        "filing_create",
        "filing_reply",
    } <= set(COMPLAINT_URL_NAMES)
    assert set(COMPLAINT_URL_NAMES) >= REVIEWER_READABLE | GET_ONLY


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", COMPLAINT_URL_NAMES)
def test_another_user_gets_the_same_answer_as_for_a_missing_case(
    client, other_user, complaint, evidence_item, name, method
):
    client.force_login(other_user)
    url = complaint_url(name, complaint, evidence_item)
    missing = complaint_url(name, complaint, missing=True)
    before = (
        stored_state(complaint),
        evidence_state(complaint),
        letter_state(complaint),
    )

    response = getattr(client, method)(url)
    for_missing = getattr(client, method)(missing)

    # 404 for "not yours"; a page that refuses the method for everybody
    # (submit answers GET with 405) says so before looking anything up.
    assert response.status_code == for_missing.status_code
    if method == "post":
        assert response.status_code == (405 if name in GET_ONLY else 404)
    else:
        assert response.status_code in (404, 405)
    assert complaint.number not in response.content.decode()
    assert evidence_item.original_name not in response.content.decode()
    assert (
        stored_state(complaint),
        evidence_state(complaint),
        letter_state(complaint),
    ) == before


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", COMPLAINT_URL_NAMES)
def test_anonymous_visitor_is_sent_to_login_with_next(
    client, complaint, evidence_item, name, method
):
    url = complaint_url(name, complaint, evidence_item)
    before = evidence_state(complaint)

    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response.url == f"{resolve_url(settings.LOGIN_URL)}?next={url}"
    assert evidence_state(complaint) == before


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", COMPLAINT_URL_NAMES)
def test_owner_reaches_every_complaint_page(
    owner_client, complaint, evidence_item, name, method
):
    url = complaint_url(name, complaint, evidence_item)

    response = getattr(owner_client, method)(url)

    assert response.status_code != 404
    assert response.status_code < 500


def test_a_reviewer_cannot_use_the_owner_pages_of_someone_elses_case(
    client, complaint, evidence_item
):
    from django.contrib.auth.models import Permission

    reviewer = UserFactory(is_staff=True)
    reviewer.user_permissions.add(Permission.objects.get(codename="view_complaint"))
    client.force_login(reviewer)
    before = stored_state(complaint), evidence_state(complaint), letter_state(complaint)
    for name in COMPLAINT_URL_NAMES:
        url = complaint_url(name, complaint, evidence_item)
        if name in REVIEWER_READABLE:
            assert client.get(url).status_code == 200, name
        else:
            assert client.post(url).status_code == (405 if name in GET_ONLY else 404), (
                name
            )
            assert client.get(url).status_code in (404, 405), name
    assert (
        stored_state(complaint),
        evidence_state(complaint),
        letter_state(complaint),
    ) == before


def test_list_shows_only_the_users_own_cases(owner_client, user, other_user):
    mine = [ComplaintFactory(owner=user) for _ in range(2)]
    theirs = [ComplaintFactory(owner=other_user) for _ in range(2)]

    response = owner_client.get(LIST_URL)

    html = response.content.decode()
    shown = {c.pk for c in response.context["page"].object_list}
    assert shown == {c.pk for c in mine}
    for complaint in mine:
        assert complaint.number in html
        assert str(complaint.public_id) in html
    for complaint in theirs:
        assert complaint.number not in html
        assert str(complaint.public_id) not in html


def test_list_pages_count_only_the_users_own_cases(owner_client, user, other_user):
    ComplaintFactory.create_batch(3, owner=user)
    ComplaintFactory.create_batch(settings.COMPLAINTS_PER_PAGE + 5, owner=other_user)

    response = owner_client.get(LIST_URL)

    assert response.context["page"].paginator.count == 3
    assert not response.context["page"].has_other_pages()


def test_list_is_only_for_logged_in_users(client):
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert response.url == f"{resolve_url(settings.LOGIN_URL)}?next={LIST_URL}"


# --- 6. Query budgets ---------------------------------------------------------------


# Session and user (2), the page's own queries (list: count and rows; detail:
# the case, its losses, its evidence and the evidence's linked losses, its
# timeline and messages, the channels of the letter plan, the letters made
# and the filings), and the session save that SESSION_SAVE_EVERY_REQUEST does
# on each request (update, wrapped in a savepoint: 3).
LIST_BUDGET = 7
DETAIL_BUDGET = 14


def _queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _cases_with_losses(owner, count, losses=3, **kwargs):
    institution = InstitutionFactory()
    cases = ComplaintFactory.create_batch(
        count, owner=owner, respondent_institution=institution, **kwargs
    )
    for case in cases:
        LossItemFactory.create_batch(losses, complaint=case)
    return cases


@pytest.mark.parametrize("page", [1, 2])
def test_list_page_query_count_does_not_grow_with_the_number_of_cases(
    owner_client, user, other_user, page
):
    _cases_with_losses(user, 3)
    _cases_with_losses(other_user, 5)
    few = _queries_for(owner_client, LIST_URL)

    _cases_with_losses(user, 47)
    many = _queries_for(owner_client, f"{LIST_URL}?page={page}")

    assert many == few
    assert many <= LIST_BUDGET


def test_list_rows_with_varied_respondents_and_brands_cost_no_extra_queries(
    owner_client, user
):
    ComplaintFactory.create_batch(3, owner=user, respondent_institution=None)
    few = _queries_for(owner_client, LIST_URL)
    ComplaintFactory.create_batch(20, owner=user, brand=BrandFactory())
    assert _queries_for(owner_client, LIST_URL) == few


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED])
def test_detail_page_has_a_fixed_query_budget_whatever_the_number_of_losses(
    owner_client, user, status, django_assert_max_num_queries
):
    (one,) = _cases_with_losses(user, 1, losses=1, status=status, brand=BrandFactory())
    (many,) = _cases_with_losses(
        user, 1, losses=40, status=status, brand=BrandFactory()
    )

    few_queries = _queries_for(owner_client, one.get_absolute_url())
    many_queries = _queries_for(owner_client, many.get_absolute_url())

    assert many_queries == few_queries
    with django_assert_max_num_queries(DETAIL_BUDGET):
        owner_client.get(many.get_absolute_url())


# --- 7. Masking of personal data ------------------------------------------------------


@pytest.fixture
def sensitive_case(user):
    complaint = ComplaintFactory(
        owner=user,
        id_number="11010519491231002X",
        contact_phone="13800138000",
        agent_name="王五",
        agent_phone="13912345678",
    )
    LossItemFactory(complaint=complaint)
    return complaint


def test_detail_page_masks_id_number_and_phones(owner_client, sensitive_case):
    response = owner_client.get(sensitive_case.get_absolute_url())

    html = response.content.decode()
    assert "1101**********002X" in html
    assert "138****8000" in html
    assert "139****5678" in html
    for secret in ("11010519491231002X", "13800138000", "13912345678"):
        assert secret not in html


def test_detail_page_masks_a_credit_code(owner_client, user):
    complaint = ComplaintFactory(
        owner=user, complainant_type="enterprise", id_number="91110000600037341L"
    )
    html = owner_client.get(complaint.get_absolute_url()).content.decode()
    assert "9111**********341L" in html
    assert "91110000600037341L" not in html


def test_list_page_never_shows_id_number_or_phone_in_full(owner_client, sensitive_case):
    html = owner_client.get(LIST_URL).content.decode()
    assert sensitive_case.number in html
    for secret in ("11010519491231002X", "13800138000", "13912345678"):
        assert secret not in html


def test_not_ready_page_does_not_show_id_number_or_phone(owner_client, user):
    complaint = ComplaintFactory(owner=user, narrative="")
    response = owner_client.post(
        reverse("complaints:submit", args=[complaint.public_id])
    )
    html = response.content.decode()
    assert "11010519491231002X" not in html
    assert "13800138000" not in html


def test_owners_edit_form_shows_id_number_and_phones_in_full(
    owner_client, sensitive_case
):
    response = owner_client.get(
        reverse("complaints:edit", args=[sensitive_case.public_id])
    )
    shown = form_values(response)
    assert shown["id_number"] == ["11010519491231002X"]
    assert shown["contact_phone"] == ["13800138000"]
    assert shown["agent_phone"] == ["13912345678"]


# --- 8. Loss rows ----------------------------------------------------------------------


def _total_on_detail(response) -> str:
    match = re.search(r'data-testid="loss-total">([^<]*)<', response.content.decode())
    assert match, "no total on the detail page"
    return match[1]


def _total_on_list(response, complaint) -> str:
    html = response.content.decode()
    row = html.split(complaint.get_absolute_url())[1]
    return re.search(r'data-testid="total">([^<]*)<', row)[1]


def test_loss_rows_add_edit_and_remove_keep_totals_right(owner_client, user):
    data = create_data(
        **{
            "losses-TOTAL_FORMS": "3",
            "losses-0-category": "frozen_funds",
            "losses-0-amount": "12,345.67",
            "losses-0-description": "冻结的结算款",
            "losses-1-category": "deposit",
            "losses-1-amount": "¥299",
            "losses-1-description": "押金",
            # A third row left blank is ignored.
        }
    )
    owner_client.post(CREATE_URL, data)
    complaint = Complaint.objects.get(owner=user)
    rows = list(complaint.loss_items.all())
    assert [(r.category, r.amount, r.position) for r in rows] == [
        ("frozen_funds", Decimal("12345.67"), 0),
        ("deposit", Decimal("299.00"), 1),
    ]
    assert (
        _total_on_detail(owner_client.get(complaint.get_absolute_url())) == "12,644.67"
    )
    assert _total_on_list(owner_client.get(LIST_URL), complaint) == "12,644.67"

    # Edit the first row, remove the second, add a third.
    edit_url = reverse("complaints:edit", args=[complaint.public_id])
    data = edit_data(owner_client, complaint)
    assert data["losses-TOTAL_FORMS"] == ["3"]  # two rows and a blank one
    data.update(
        {
            "losses-0-amount": "10000",
            "losses-1-DELETE": "on",
            "losses-2-category": "fees",
            "losses-2-amount": "３０.５",
            "losses-2-description": "流量卡费",
        }
    )
    response = owner_client.post(edit_url, data)
    assert response.status_code == 302

    rows = list(complaint.loss_items.all())
    assert [(r.category, r.amount, r.position) for r in rows] == [
        ("frozen_funds", Decimal("10000.00"), 0),
        ("fees", Decimal("30.50"), 1),
    ]
    assert not LossItem.objects.filter(category="deposit").exists()
    detail = owner_client.get(complaint.get_absolute_url())
    assert _total_on_detail(detail) == "10,030.50"
    assert "流量卡费" in detail.content.decode()
    assert _total_on_list(owner_client.get(LIST_URL), complaint) == "10,030.50"


def test_removing_the_last_loss_shows_no_total_and_zero_in_the_list(
    owner_client, complaint
):
    data = edit_data(owner_client, complaint, **{"losses-0-DELETE": "on"})
    owner_client.post(reverse("complaints:edit", args=[complaint.public_id]), data)

    assert not complaint.loss_items.exists()
    detail = owner_client.get(complaint.get_absolute_url()).content.decode()
    assert 'data-testid="loss-total"' not in detail
    assert _total_on_list(owner_client.get(LIST_URL), complaint) == "0.00"


def test_a_removed_row_with_bad_data_is_not_validated(owner_client, complaint):
    data = edit_data(
        owner_client,
        complaint,
        **{"losses-0-DELETE": "on", "losses-0-amount": "abc"},
    )
    response = owner_client.post(
        reverse("complaints:edit", args=[complaint.public_id]), data
    )
    assert response.status_code == 302
    assert not complaint.loss_items.exists()


def test_add_row_button_saves_and_returns_to_the_form(owner_client, complaint):
    data = edit_data(owner_client, complaint, add_row="1")
    del data["save"]
    url = reverse("complaints:edit", args=[complaint.public_id])

    response = owner_client.post(url, data)

    assert response.status_code == 302
    assert response.url == url


def test_totals_are_exact_for_many_cent_amounts(owner_client, user):
    complaint = ComplaintFactory(owner=user)
    for _ in range(10):
        LossItemFactory(complaint=complaint, amount=Decimal("0.10"))
    LossItemFactory(complaint=complaint, amount=Decimal("99999999.99"))
    assert _total_on_detail(owner_client.get(complaint.get_absolute_url())) == (
        "100,000,000.99"
    )
    assert _total_on_list(owner_client.get(LIST_URL), complaint) == "100,000,000.99"
