from tests.reminders.conftest import make_appointment  # noqa: F401  (shared fixture)
from tests.mail.conftest import smtp_server  # noqa: F401  (shared fixture)
