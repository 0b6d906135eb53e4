"""Demo data for a local run: reference data, a demo user with a few cases in
different states, and a reviewer account. Refuses to run without DEBUG, so
known demo passwords never reach a production database."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from complaints import services, workflow
from complaints.models import Brand, Channel, Complaint, Institution, LossItem, Status
from complaints.reference_data import seed

DEMO_USER = ("13800138000", "demo-user-2026")
DEMO_REVIEWER = ("reviewer@example.com", "demo-reviewer-2026")


class Command(BaseCommand):
    help = "Load demo users and cases (DEBUG only). Safe to run more than once."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (never on a production database).",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Demo data has known passwords; it is loaded only with DJANGO_DEBUG=1."
            )
        with transaction.atomic():
            seed(Channel, Brand)
            user = self._user()
            reviewer = self._reviewer()
            if not user.complaints.exists():
                self._cases(user)
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Logins:"))
        self.stdout.write(f"  user:     {DEMO_USER[0]} / {DEMO_USER[1]}")
        self.stdout.write(
            f"  reviewer: {DEMO_REVIEWER[0]} / {DEMO_REVIEWER[1]}  (admin: /admin/)"
        )
        del reviewer

    def _user(self):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=DEMO_USER[0], defaults={"phone": DEMO_USER[0]}
        )
        if created:
            user.set_password(DEMO_USER[1])
            user.save()
        return user

    def _reviewer(self):
        User = get_user_model()
        reviewer, created = User.objects.get_or_create(
            username=DEMO_REVIEWER[0],
            defaults={"email": DEMO_REVIEWER[0], "is_staff": True},
        )
        if created:
            reviewer.set_password(DEMO_REVIEWER[1])
            reviewer.save()
        # Created by migration 0004 with the reviewers' permissions.
        group = Group.objects.get(name="Reviewers")
        reviewer.groups.add(group)
        return reviewer

    def _cases(self, user):
        institution, _created = Institution.objects.get_or_create(
            name="示例支付有限公司（演示数据）",
            defaults={
                "kind": Institution.Kind.PAYMENT_INSTITUTION,
                "province": "SH",
                "city": "浦东新区",
                "address": "上海市浦东新区示例大道100号（演示地址）",
                "hotline": "400-000-0000",
            },
        )
        brand = Brand.objects.filter(name="喔刷").first()
        today = timezone.localdate()
        now = timezone.now()
        common = {
            "complainant_type": "individual",
            "complainant_name": "张三",
            "id_number": "11010519491231002X",
            "contact_phone": "13800138000",
            "address": "上海市浦东新区示例路1号",
            "province": "SH",
            "city": "浦东新区",
            "brand": brand,
            "terminal_model": "MP70",
            "deactivation_notice": Complaint.DeactivationNotice.NONE,
            "prior_contact": Complaint.PriorContact.NO_ANSWER,
            "claims": ["release_funds", "refund_deposit"],
        }
        specs = [
            {
                "respondent_institution": institution,
                "terminal_sn": "WS20250001",
                "merchant_number": "831290157220001",
                "activated_on": today - datetime.timedelta(days=400),
                "deactivated_on": today - datetime.timedelta(days=60),
                "harm_known_on": today - datetime.timedelta(days=58),
                "narrative": "机器突然无法刷卡，客服电话一直无人接听，当天交易的结算款至今未到账。",
                "losses": [("frozen_funds", "12345.67"), ("deposit", "299.00")],
                "submit": True,
                # A demand sent to the institution, now overdue.
                "filing": ("institution", 20, "post", "EMS9800000001CN"),
            },
            {
                "respondent_name": "某某支付科技有限公司",
                "respondent_address": "深圳市南山区示例路8号（演示地址）",
                "terminal_sn": "WS20250002",
                "activated_on": today - datetime.timedelta(days=700),
                "deactivated_on": today - datetime.timedelta(days=30),
                "harm_known_on": today - datetime.timedelta(days=30),
                "narrative": "停机后仍每月扣取流量卡费用和会员费，押金也未退还，代理商失联。",
                "losses": [
                    ("fees", "69.00"),
                    ("deposit", "199.00"),
                    ("lost_profit", "3000"),
                ],
                "submit": True,
                "filing": ("samr-12315", 3, "online", "12315-2026-0001"),
            },
            {
                "respondent_name": "",
                "terminal_sn": "WS20250003",
                "narrative": "",
                "losses": [("frozen_funds", "860.50")],
                "submit": False,
            },
        ]
        for spec in specs:
            losses = [
                LossItem(
                    category=c,
                    amount=Decimal(a),
                    occurred_on=spec.get("deactivated_on"),
                )
                for c, a in spec.pop("losses")
            ]
            submit = spec.pop("submit")
            filing = spec.pop("filing", None)
            complaint, _created = services.complaint_create(
                owner=user,
                complaint=Complaint(**common, **spec),
                losses=losses,
                consent_processing=submit,
                consent_sensitive=submit,
            )
            if submit:
                workflow.transition(complaint, target=Status.SUBMITTED, actor=user)
            if filing:
                code, days_ago, method, reference = filing
                services.filing_record(
                    actor=user,
                    complaint=complaint,
                    channel=Channel.objects.get(code=code),
                    sent_on=today - datetime.timedelta(days=days_ago),
                    method=method,
                    reference=reference,
                )
        del now
