"""keyprojects: tracking Xinzhou's industrial key projects (readers, validation, warehouse, metrics, bulletin).

This package knows nothing of Airflow: its functions take SQLAlchemy engines/connections and paths.
"""

LISTS = ("reserve", "dispatch", "signed", "approved", "energy", "registered")

# Row rule codes, in the order in which a row's first fault is chosen (docs/contract.md; bad_value is ours).
RULES = (
    "missing_required",
    "unknown_unit",
    "bad_code",
    "bad_number",
    "bad_date",
    "bad_value",
    "below_threshold",
    "duplicate",
)

# Field groups shared by the readers, the validation and the generator.
AMOUNT_FIELDS = ("total_investment", "annual_plan", "ytd_investment", "month_investment")
DATE_FIELDS = ("approval_date", "signing_date", "start_date", "registered_date", "raised_on", "closed_on")
VOCAB_FIELDS = ("nature", "status", "approval_type", "registered_flag", "problem_kind", "major", "problem_status")

# The monthly 13710 progress export (keyprojects.monthly); its rows go to load_audit/rejected_rows as this list.
PROGRESS = "progress"
