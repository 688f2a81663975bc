"""keyprojects: tracking Xinzhou's industrial key projects (readers, validation, warehouse, metrics, bulletin).

This package knows nothing of Airflow: its functions take SQLAlchemy engines/connections and paths.
"""

LISTS = ("reserve", "dispatch", "signed", "approved", "energy", "registered")

# Row rule codes, in the order in which a row's first fault is chosen (contract.md; bad_value is ours).
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
