"""Appointment life-cycle signals, sent inside the transaction that makes the change.

Receivers (reminder planning, confirmation messages) add rows to the same session, so the change
and its consequences commit or roll back together. Nothing is sent from a receiver: messages are
outbox rows that a dispatcher sends after the commit.

Each signal is sent with the Appointment as sender and keyword arguments:
- appointment_booked(appointment, fresh)                            # fresh: inserted by this booking
- appointment_rescheduled(appointment, old_start_at, old_end_at)
- appointment_cancelled(appointment, reason)
- appointment_status_changed(appointment, old_status, new_status)   # check-in, no-show, completed...
- appointment_procedure_ended(appointment, ended_at)                # actual end, from the checklist
- appointment_needs_reschedule(appointment, because)                # stranded by hours, time off, calendar
- appointment_preparation_resent(appointment)                       # the confirmation and its sheet, again

And, with the physician (a User) as sender, when a physician's time frees up:
- time_off_removed(time_off)                                        # the absence's times are free again
- working_hours_set(site, valid_from, before, after)                 # weekday -> intervals, old and new
"""

from blinker import Namespace

_signals = Namespace()

appointment_booked = _signals.signal("appointment-booked")
appointment_rescheduled = _signals.signal("appointment-rescheduled")
appointment_cancelled = _signals.signal("appointment-cancelled")
appointment_status_changed = _signals.signal("appointment-status-changed")
appointment_procedure_ended = _signals.signal("appointment-procedure-ended")
appointment_needs_reschedule = _signals.signal("appointment-needs-reschedule")
appointment_preparation_resent = _signals.signal("appointment-preparation-resent")
time_off_removed = _signals.signal("time-off-removed")
working_hours_set = _signals.signal("working-hours-set")
