"""The "Reviewers" group: staff who triage cases in admin. They read cases,
reference data and evidence, and give verdicts on evidence; nothing else."""

from django.db import migrations

REVIEWER_PERMISSIONS = [
    ("complaints", "view_complaint"),
    ("complaints", "view_lossitem"),
    ("complaints", "view_statuschange"),
    ("complaints", "view_evidence"),
    ("complaints", "change_evidence"),
    ("complaints", "view_institution"),
    ("complaints", "view_brand"),
    ("complaints", "view_channel"),
]


def forwards(apps, schema_editor):
    from complaints.permissions import grant

    grant(apps, "Reviewers", REVIEWER_PERMISSIONS)


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Reviewers").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0003_evidence"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
