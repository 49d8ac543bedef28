from django.core.management import call_command


def test_every_model_change_has_a_migration(db):
    # makemigrations --check exits with status 1 (SystemExit) when a migration is missing.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
