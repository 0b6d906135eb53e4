"""Complaint intake forms: what people type on phones is normalised, what is
malformed is refused with a specific error code (the views are covered in
test_views.py; these are the same rules checked directly on the forms)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from complaints.forms import (
    MAX_LOSS_ITEMS,
    AmountField,
    ComplaintForm,
    LossItemForm,
    LossItemFormSet,
)
from complaints.models import Complaint
from tests.factories import ComplaintFactory

VALID_ID = "11010519491231002X"
INVALID_ID = "110105194912310021"  # last character changed: checksum fails
VALID_CREDIT_CODE = "91110000600037341L"
INVALID_CREDIT_CODE = "91110000600037341M"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 costs ~0.2 s per factory user; these tests are not about passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def tomorrow() -> str:
    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


def error_codes(form) -> dict[str, list[str]]:
    return {
        field: [error.code for error in errors]
        for field, errors in form.errors.as_data().items()
    }


# --- AmountField ------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1234.5", Decimal("1234.50")),
        ("１２３４.５", Decimal("1234.50")),  # full-width digits
        ("１，２３４．５", Decimal("1234.50")),  # full-width separators
        ("1,234.50", Decimal("1234.50")),
        ("¥299", Decimal("299.00")),
        ("￥299", Decimal("299.00")),
        ("300元", Decimal("300.00")),
        ("RMB 88", Decimal("88.00")),
        (" 12 ", Decimal("12.00")),
        ("1.000", Decimal("1.00")),  # trailing zeros are not extra precision
        ("0.01", Decimal("0.01")),
        ("99,999,999.99", Decimal("99999999.99")),
    ],
)
def test_amount_field_accepts_amounts_as_typed_and_cleans_to_decimal(typed, expected):
    cleaned = AmountField().clean(typed)
    assert isinstance(cleaned, Decimal)
    assert cleaned == expected
    assert cleaned.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("abc", "invalid"),
        ("-5", "min_value"),
        ("－5", "min_value"),  # full-width minus
        ("0", "min_value"),
        ("0.00", "min_value"),
        ("1e5", "invalid"),
        ("1.005", "max_decimal_places"),
        ("0.001", "max_decimal_places"),
        ("100000000", "max_value"),
        ("99999999.999", "max_decimal_places"),
        ("NaN", "invalid"),
        ("Infinity", "invalid"),
        ("1.2.3", "invalid"),
        ("1" * 41, "invalid"),  # longer than any amount can be
    ],
)
def test_amount_field_refuses_malformed_amounts_with_specific_code(typed, code):
    with pytest.raises(ValidationError) as excinfo:
        AmountField().clean(typed)
    assert excinfo.value.code == code


@pytest.mark.parametrize("empty", ["", "   ", None])
def test_optional_amount_field_cleans_empty_input_to_none(empty):
    assert AmountField(required=False).clean(empty) is None


def test_amount_field_shows_stored_decimal_with_two_places():
    assert AmountField().prepare_value(Decimal("5")) == "5.00"
    assert AmountField().prepare_value("１２３４.５") == "１２３４.５"


# --- ComplaintForm: one field at a time ---------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"deposit_paid": "abc"}, "deposit_paid", "invalid"),
        ({"deposit_paid": "0"}, "deposit_paid", "min_value"),
        ({"deposit_paid": "100000000"}, "deposit_paid", "max_value"),
        ({"activated_on": "TOMORROW"}, "activated_on", "future"),
        ({"deactivated_on": "TOMORROW"}, "deactivated_on", "future"),
        ({"last_settlement_on": "TOMORROW"}, "last_settlement_on", "future"),
        ({"harm_known_on": "TOMORROW"}, "harm_known_on", "future"),
        ({"deactivated_on": "2025-02-30"}, "deactivated_on", "invalid"),
        (
            {"merchant_number": "83129015722000"},
            "merchant_number",
            "invalid_merchant_number",
        ),
        (
            {"merchant_number": "83129015722000A"},
            "merchant_number",
            "invalid_merchant_number",
        ),
        ({"merchant_number": "8312901572200011"}, "merchant_number", "max_length"),
        ({"terminal_sn": "AB1"}, "terminal_sn", "invalid_sn"),
        ({"terminal_sn": "AB#1234"}, "terminal_sn", "invalid_sn"),
        ({"terminal_sn": "-AB1234"}, "terminal_sn", "invalid_sn"),
        ({"terminal_sn": "A" * 41}, "terminal_sn", "max_length"),
        ({"terminal_number": "T-0001"}, "terminal_number", "invalid_terminal_number"),
        ({"terminal_number": "T01"}, "terminal_number", "invalid_terminal_number"),
        ({"terminal_number": "1" * 21}, "terminal_number", "max_length"),
        ({"contact_phone": "call me"}, "contact_phone", "invalid_phone"),
        ({"agent_phone": "12"}, "agent_phone", "invalid_phone"),
        ({"narrative": "很" * 5001}, "narrative", "max_length"),
        ({"complainant_name": "张" * 101}, "complainant_name", "max_length"),
        ({"address": "路" * 201}, "address", "max_length"),
        (
            {"deactivation_notice_detail": "x" * 501},
            "deactivation_notice_detail",
            "max_length",
        ),
        ({"prior_contact_detail": "x" * 2001}, "prior_contact_detail", "max_length"),
        ({"claims_other": "x" * 1001}, "claims_other", "max_length"),
        ({"claims": ["release_funds", "bogus"]}, "claims", "invalid_choice"),
        ({"province": "XX"}, "province", "invalid_choice"),
        ({"complainant_type": "alien"}, "complainant_type", "invalid_choice"),
    ],
)
def test_complaint_form_refuses_malformed_fact(data, field, code):
    data = {k: tomorrow() if v == "TOMORROW" else v for k, v in data.items()}
    form = ComplaintForm(data)
    assert not form.is_valid()
    assert error_codes(form) == {field: [code]}


@pytest.mark.django_db
def test_complaint_form_accepts_an_empty_draft():
    form = ComplaintForm({})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["claims"] == []
    assert form.cleaned_data["deposit_paid"] is None


@pytest.mark.django_db
def test_dates_up_to_today_are_accepted():
    today = timezone.localdate()
    form = ComplaintForm(
        {
            "activated_on": today.isoformat(),
            "deactivated_on": today.isoformat(),
            "last_settlement_on": today.isoformat(),
            "harm_known_on": today.isoformat(),
        }
    )
    assert form.is_valid(), form.errors


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("activated", "deactivated", "settled", "errors"),
    [
        (
            "2024-03-01",
            "2024-02-29",
            "",
            {
                "deactivated_on": [
                    "The deactivation date cannot be before the activation date."
                ]
            },
        ),
        ("2024-03-01", "2024-03-01", "", {}),
        (
            "2024-03-01",
            "2025-06-01",
            "2024-02-01",
            {
                "last_settlement_on": [
                    "The last settlement cannot be before the activation date."
                ]
            },
        ),
        ("2024-03-01", "2025-06-01", "2024-03-01", {}),
        ("", "2020-01-01", "2019-01-01", {}),  # no activation date: nothing to compare
    ],
)
def test_event_dates_keep_their_order(activated, deactivated, settled, errors):
    with translation.override("en"):
        form = ComplaintForm(
            {
                "activated_on": activated,
                "deactivated_on": deactivated,
                "last_settlement_on": settled,
            }
        )
        assert form.is_valid() is (not errors)
        assert {k: [str(m) for m in v] for k, v in form.errors.items()} == errors


# --- Identity numbers chosen by complainant type ----------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("complainant_type", "typed", "code"),
    [
        ("individual", VALID_ID, None),
        ("individual", INVALID_ID, "invalid_id_number"),
        ("individual", VALID_CREDIT_CODE, "invalid_id_number"),
        ("individual", "1101051949123100", "invalid_id_number"),  # too short
        ("sole_trader", VALID_CREDIT_CODE, None),
        ("sole_trader", VALID_ID, "invalid_credit_code"),
        ("enterprise", VALID_CREDIT_CODE, None),
        ("enterprise", INVALID_CREDIT_CODE, "invalid_credit_code"),
        ("enterprise", VALID_ID, "invalid_credit_code"),
        # Type not chosen yet: either kind is fine if its checksum is right.
        ("", VALID_ID, None),
        ("", VALID_CREDIT_CODE, None),
        ("", INVALID_ID, "invalid_id_or_credit_code"),
    ],
)
def test_id_number_checksum_follows_complainant_type(complainant_type, typed, code):
    form = ComplaintForm({"complainant_type": complainant_type, "id_number": typed})
    if code is None:
        assert form.is_valid(), form.errors
        assert form.cleaned_data["id_number"] == typed
    else:
        assert not form.is_valid()
        assert error_codes(form) == {"id_number": [code]}


# --- Normalisation of codes typed on phones -----------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "typed", "stored"),
    [
        ("id_number", "11010519491231002x", VALID_ID),
        ("id_number", "１１０１０５１９４９１２３１００２Ｘ", VALID_ID),
        ("id_number", " 11010519491231002X ", VALID_ID),
        ("terminal_sn", "ab-1234", "AB-1234"),
        ("terminal_sn", "ＡＢ－１２３４", "AB-1234"),
        ("terminal_sn", "AB 1234", "AB1234"),
        ("terminal_number", "t0001234", "T0001234"),
        ("merchant_number", "８３１２９０１５７２２０００１", "831290157220001"),
        ("contact_phone", "+86 138-0013-8000", "13800138000"),
        ("contact_phone", "１３８００１３８０００", "13800138000"),
        ("contact_phone", "010-12345678", "01012345678"),
        ("agent_phone", "0086 139 1234 5678", "13912345678"),
    ],
)
def test_codes_typed_on_a_phone_are_normalised(field, typed, stored):
    data = {field: typed}
    if field == "id_number":
        data["complainant_type"] = "individual"
    form = ComplaintForm(data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data[field] == stored


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "typed", "stored"),
    [
        ("id_number", "110105 19491231 002X", VALID_ID),
        ("merchant_number", "831 290 157 220 001", "831290157220001"),
    ],
)
def test_full_length_codes_typed_with_spaces_are_accepted(field, typed, stored):
    """The form promises to remove spaces (compact_code), so an ID number
    typed in its usual 6-8-4 groups must not fail the 18-character limit."""
    data = {field: typed, "complainant_type": "individual"}
    form = ComplaintForm(data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data[field] == stored


@pytest.mark.django_db
def test_claims_keep_the_order_of_the_choices():
    form = ComplaintForm({"claims": ["stop_fees", "release_funds", "explain"]})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["claims"] == ["release_funds", "explain", "stop_fees"]


@pytest.mark.django_db
def test_text_fields_are_stripped():
    form = ComplaintForm({"complainant_name": "  张三  ", "narrative": "\n 经过 \n"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["complainant_name"] == "张三"
    assert form.cleaned_data["narrative"] == "经过"


@pytest.mark.django_db
def test_form_never_offers_workflow_or_ownership_fields():
    form = ComplaintForm()
    forbidden = {
        "status",
        "owner",
        "number",
        "assignee",
        "outcome",
        "amount_recovered",
        "submitted_at",
        "creation_token",
        "public_id",
        "consent_processing_at",
        "consent_sensitive_at",
        "consent_policy_version",
    }
    assert forbidden.isdisjoint(form.fields)


@pytest.mark.django_db
def test_text_inputs_carry_the_server_side_length_limit():
    form = ComplaintForm()
    for name in ("complainant_name", "narrative"):
        max_length = Complaint._meta.get_field(name).max_length
        assert str(form.fields[name].widget.attrs["maxlength"]) == str(max_length)
    # Codes leave room in the browser for spaces between digit groups; the
    # stored length is checked after the spaces are removed.
    for name in ("id_number", "merchant_number", "terminal_sn", "terminal_number"):
        max_length = Complaint._meta.get_field(name).max_length
        assert form.fields[name].widget.attrs["maxlength"] == str(max_length * 2)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("consent_at", "expected"), [(None, False), (timezone.now, True)]
)
def test_edit_form_shows_recorded_consents_as_ticked(user, consent_at, expected):
    complaint = ComplaintFactory(
        owner=user,
        consent_processing_at=consent_at() if consent_at else None,
        consent_sensitive_at=consent_at() if consent_at else None,
    )
    form = ComplaintForm(instance=complaint)
    assert form["consent_processing"].value() is expected
    assert form["consent_sensitive"].value() is expected


# --- Loss rows ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"category": "fees", "amount": "１２.５"}, {}),
        ({"category": "fees", "amount": "0"}, {"amount": ["min_value"]}),
        ({"category": "fees", "amount": "1.005"}, {"amount": ["max_decimal_places"]}),
        ({"category": "fees", "amount": ""}, {"amount": ["required"]}),
        ({"category": "", "amount": "5"}, {"category": ["required"]}),
        ({"category": "gift", "amount": "5"}, {"category": ["invalid_choice"]}),
        (
            {"category": "fees", "amount": "5", "occurred_on": "TOMORROW"},
            {"occurred_on": ["future"]},
        ),
        (
            {"category": "fees", "amount": "5", "occurred_on": "2025-13-01"},
            {"occurred_on": ["invalid"]},
        ),
        (
            {"category": "fees", "amount": "5", "description": "x" * 501},
            {"description": ["max_length"]},
        ),
    ],
)
def test_loss_item_form_rules(data, errors):
    data = {k: tomorrow() if v == "TOMORROW" else v for k, v in data.items()}
    form = LossItemForm(data)
    assert form.is_valid() is (not errors)
    assert error_codes(form) == errors


@pytest.mark.django_db
def test_loss_formset_refuses_more_than_the_maximum_rows():
    total = MAX_LOSS_ITEMS + 1
    data = {
        "losses-TOTAL_FORMS": str(total),
        "losses-INITIAL_FORMS": "0",
        "losses-MIN_NUM_FORMS": "0",
        "losses-MAX_NUM_FORMS": str(MAX_LOSS_ITEMS),
    }
    for i in range(total):
        data[f"losses-{i}-category"] = "fees"
        data[f"losses-{i}-amount"] = "1"
    formset = LossItemFormSet(data, instance=Complaint(), prefix="losses")
    assert not formset.is_valid()
    assert formset.non_form_errors()
