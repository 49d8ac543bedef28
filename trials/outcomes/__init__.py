"""Outcome review across trials: the dashboard, the CSV and FHIR exports, the trial summary.

filters   the filter form (referral dates, diagnosis, age group, outcome, dose) and the
          drill-down criteria behind each dashboard count
figures   the dashboard's numbers, computed by the database in a fixed number of queries
mas       the Modified Ashworth comparison (baseline against best post-dose) in SQL
panels    each figure as a chart, a table of numbers and links to the trials behind them
charts    server-rendered inline SVG bar charts (no script, no inline style)
csv_export, fhir, summary, billing   the exports and the medical-record summary
"""
