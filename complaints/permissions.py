"""Granting model permissions to groups from data migrations."""

# Everything the "Reviewers" group holds (migrations 0004, 0006, 0007 and 0008).
REVIEWER_PERMISSIONS = [
    ("complaints", "view_complaint"),
    ("complaints", "view_lossitem"),
    ("complaints", "view_statuschange"),
    ("complaints", "view_evidence"),
    ("complaints", "change_evidence"),
    ("complaints", "view_institution"),
    ("complaints", "view_brand"),
    ("complaints", "view_channel"),
    ("complaints", "review_complaint"),
    ("complaints", "view_message"),
    ("complaints", "add_message"),
    ("complaints", "view_letter"),
    ("complaints", "add_letter"),
    ("complaints", "view_filing"),
    ("complaints", "add_filing"),
    ("complaints", "change_filing"),
]


def grant(apps, group_name: str, permissions: list[tuple[str, str]]) -> None:
    """Give `group_name` (created if missing) the (app_label, codename)
    permissions, creating permission rows first if migrate has not yet."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=group_name)
    for app_label, codename in permissions:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
