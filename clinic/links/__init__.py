"""Patient links: the signed links of messages (tokens) and the manage link of an appointment as the
messages carry it (manage). Mail, reminders and text messages make links; the portal answers them.

The package imports no other package of clinic: it sits below every package that sends a message.
"""
