"""A trial's audit rows indexed in the timeline's order, in place of the index of the trial alone.

The planner took the index of the trial alone, the smallest, for the timeline of a trial ticked
for hours since the statistics were last taken: every change read and sorted for the 21 shown.
The index of all the trial's rows in the timeline's order serves what that index served (the
trial's record, a trial's deletion refused) and is never smaller than the index of its changes.
Made before the old one goes, so the trial's rows are never without an index.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_trial_changes_index"),
        ("patients", "0003_search_columns"),
        ("trials", "0018_record_steps"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["trial", "-at", "-id"], name="audit_trial_all"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="trial",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="audit",
                to="trials.trial",
            ),
        ),
    ]
