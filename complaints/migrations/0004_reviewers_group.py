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
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate; make sure they exist.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name="Reviewers")
    for app_label, codename in REVIEWER_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Reviewers").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0003_evidence"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
