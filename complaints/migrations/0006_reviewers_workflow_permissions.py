"""Reviewers may act on cases through the workflow and read and write
messages and internal notes."""

from django.db import migrations

PERMISSIONS = [
    ("complaints", "review_complaint"),
    ("complaints", "view_message"),
    ("complaints", "add_message"),
]


def forwards(apps, schema_editor):
    from complaints.permissions import grant

    grant(apps, "Reviewers", PERMISSIONS)


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Reviewers").first()
    if group:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="complaints",
                codename__in=[c for _a, c in PERMISSIONS],
            )
        )


class Migration(migrations.Migration):
    dependencies = [("complaints", "0005_workflow")]

    operations = [migrations.RunPython(forwards, backwards)]
