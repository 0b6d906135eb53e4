from django.core.management.base import BaseCommand

from complaints.models import Brand, Channel
from complaints.reference_data import seed


class Command(BaseCommand):
    help = (
        "Create the default channels and brands (existing rows are left as they are)."
    )

    def handle(self, *args, **options):
        channels, brands = seed(Channel, Brand)
        self.stdout.write(
            f"reference data: {channels} channels and {brands} brands created"
        )
