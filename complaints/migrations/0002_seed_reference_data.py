from django.db import migrations


def forwards(apps, schema_editor):
    from complaints.reference_data import seed

    seed(apps.get_model("complaints", "Channel"), apps.get_model("complaints", "Brand"))


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
