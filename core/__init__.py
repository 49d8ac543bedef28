"""Helpers that patients, trials and the audit trail share and that know none of them: domain
refusals (errors.py), optimistic concurrency for edit forms (concurrency.py), bounded date and
time fields (fields.py) and spreadsheet-safe CSV (spreadsheet.py). Not a Django app: no models."""
