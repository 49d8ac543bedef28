"""The demo site and synthetic benchmark data that `manage.py seed_demo` writes.

- users.py: the three demo logins (published password; demo databases only).
- site.py, script.py, patients.py: fourteen scripted patients, one per phase and outcome, built
  through the real services with the clock set to each step's clinical time.
- bulk.py, plan.py, rows.py, vocabulary.py: N synthetic patients spread over years of history,
  written in bulk for benchmarks, laid out with the protocol's own rules (trials.procedure,
  trials.responder, trials.schedule).
"""
