"""When a trial's record last changed ("record as of" on its summary and PDF), from two partial
indexes of the changes that are not exports: the trial's, and its patient's that belong to no
trial. Each latest change is the first row of its index, however many downloads and views came
after it (a PDF downloaded a thousand times since its record last changed read every download).
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_trial_index_in_timeline_order"),
        ("patients", "0003_search_columns"),
        ("trials", "0018_record_steps"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(
                    (
                        "action__in",
                        (
                            "view",
                            "deny",
                            "login",
                            "login_failed",
                            "logout",
                            "sign_refused",
                            "sign_locked",
                            "export",
                        ),
                    ),
                    _negated=True,
                ),
                fields=["trial", "-at"],
                name="audit_trial_record_changes",
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(
                    ("trial__isnull", True),
                    models.Q(
                        (
                            "action__in",
                            (
                                "view",
                                "deny",
                                "login",
                                "login_failed",
                                "logout",
                                "sign_refused",
                                "sign_locked",
                                "export",
                            ),
                        ),
                        _negated=True,
                    ),
                ),
                fields=["patient", "-at"],
                name="audit_patient_record_changes",
            ),
        ),
    ]
