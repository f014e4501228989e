"""Started by Python in a child process of the test suite (PYTHONPATH names this folder): moves the
process's clock to CLINIC_TEST_CLOCK and lets it tick, as the test that started it does."""

import os

_instant = os.environ.get("CLINIC_TEST_CLOCK")
if _instant:
    import time_machine

    time_machine.travel(_instant, tick=True).start()
