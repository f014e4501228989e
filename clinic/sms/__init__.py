"""Text messages: the SMS of the day-before and medicine-stop reminders, their transports, the short
manage link they carry and the gateway's inbound STOP answers."""
