"""factory_boy factories for the domain models."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import User
from complaints.models import Brand, Channel, Complaint, Filing, Institution, LossItem


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    phone = factory.Sequence(lambda n: f"139{n:08d}")
    username = factory.LazyAttribute(lambda o: o.phone)
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"测试支付有限公司{n}")
    kind = Institution.Kind.PAYMENT_INSTITUTION
    province = "SH"


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand
        django_get_or_create = ("name",)

    name = "喔刷"


class ComplaintFactory(factory.django.DjangoModelFactory):
    """A draft complaint with every fact a submission needs (no losses)."""

    class Meta:
        model = Complaint

    owner = factory.SubFactory(UserFactory)
    number = factory.Sequence(lambda n: f"WQ-2026-{n + 900000:06d}")
    complainant_type = "individual"
    complainant_name = "张三"
    id_number = "11010519491231002X"
    contact_phone = "13800138000"
    address = "上海市浦东新区示例路1号"
    province = "SH"
    city = "浦东新区"
    respondent_institution = factory.SubFactory(InstitutionFactory)
    terminal_sn = factory.Sequence(lambda n: f"SN{n:08d}")
    merchant_number = "831290157220001"
    activated_on = datetime.date(2024, 3, 1)
    deactivated_on = datetime.date(2025, 6, 1)
    harm_known_on = datetime.date(2025, 6, 2)
    narrative = "机器突然停用，结算款至今未到账，客服电话无人接听，押金也未退还。"
    claims = ["release_funds"]
    consent_processing_at = factory.LazyFunction(timezone.now)
    consent_sensitive_at = factory.LazyFunction(timezone.now)


class LossItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LossItem

    complaint = factory.SubFactory(ComplaintFactory)
    category = LossItem.Category.FROZEN_FUNDS
    amount = Decimal("1000.00")
    occurred_on = datetime.date(2025, 6, 1)
    description = "冻结的结算款"


class FilingFactory(factory.django.DjangoModelFactory):
    """A letter sent to the institution by post (stored as is: use
    `services.filing_record` to also get due dates and the status move)."""

    class Meta:
        model = Filing

    complaint = factory.SubFactory(ComplaintFactory)
    channel = factory.LazyFunction(lambda: Channel.objects.get(code="institution"))
    sent_on = datetime.date(2026, 9, 28)
    method = Filing.Method.POST
    reference = "EMS1234567890"
