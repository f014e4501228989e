from tests.reminders.conftest import make_appointment  # noqa: F401  (shared fixture)
