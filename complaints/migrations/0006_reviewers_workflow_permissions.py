"""Reviewers may act on cases through the workflow and read and write
messages and internal notes."""

from django.db import migrations

PERMISSIONS = [
    ("complaints", "review_complaint"),
    ("complaints", "view_message"),
    ("complaints", "add_message"),
]


def forwards(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name="Reviewers")
    for app_label, codename in PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


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
