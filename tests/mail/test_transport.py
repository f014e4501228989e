"""One SMTP session for many messages, against a real server: one connection, a refused recipient
fails alone, a connection the relay closed is opened again, a message lost in DATA fails."""

from __future__ import annotations

import socket
import threading

import pytest

from clinic.mail import transport
from clinic.mail.composers import new_message
from tests.smtp import SMTPServer, sending_to


def message(i: int, to: str | None = None):
    msg = new_message()
    msg["To"] = to or f"patient{i}@test.example"
    msg["Subject"] = f"Message {i}"
    msg["X-Clinic-Reminder"] = str(i)
    msg.set_content(f"Body {i}")
    return msg


@pytest.fixture
def server(app):
    smtp = SMTPServer().start()
    try:
        with sending_to(app, smtp.port), app.app_context():
            yield smtp
    finally:
        smtp.stop()


def test_a_session_sends_its_messages_over_one_connection(server):
    with transport.session() as mail:
        ids = [mail.send(message(i)) for i in range(1, 6)]
    assert server.recorder.counts() == {i: 1 for i in range(1, 6)}
    assert [m["Message-ID"] for m in server.messages] == ids
    assert server.recorder.connections() == 1


def test_a_refused_recipient_fails_that_message_alone(server):
    server.recorder.refuse.add("nobody@test.example")
    with transport.session() as mail:
        mail.send(message(1))
        with pytest.raises(transport.TransportError, match="550"):
            mail.send(message(2, to="nobody@test.example"))
        mail.send(message(3))
    assert server.recorder.counts() == {1: 1, 3: 1}
    assert server.recorder.connections() == 1  # the session went on over the same connection


def test_a_connection_the_relay_closed_between_messages_is_opened_again(server):
    server.recorder.close_after.add(2)
    with transport.session() as mail:
        for i in range(1, 5):
            mail.send(message(i))
    assert server.recorder.counts() == {i: 1 for i in range(1, 5)}
    assert server.recorder.connections() == 2


def test_a_message_whose_connection_broke_during_data_fails_and_the_next_ones_go_on(server):
    server.recorder.lose.add(2)
    with transport.session() as mail:
        mail.send(message(1))
        with pytest.raises(transport.TransportError, match="Disconnected"):
            mail.send(message(2))  # whether the relay kept it is unknown: not sent again at once
        mail.send(message(3))
    assert server.recorder.counts() == {1: 1, 3: 1}
    assert server.recorder.connections() == 2


def test_a_relay_that_cannot_be_reached_is_tried_once_per_session(app):
    """A relay that answers 421 to every connection: every message fails, after one connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def serve():
        while True:
            try:
                conn, _addr = listener.accept()
            except OSError:
                return
            accepted.append(conn)
            conn.sendall(b"421 4.3.2 Service not available\r\n")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    saved = {k: app.config.get(k) for k in ("SMTP_HOST", "SMTP_PORT")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=listener.getsockname()[1])
    try:
        with app.app_context(), transport.session() as mail:
            for i in range(3):
                with pytest.raises(transport.TransportError, match="421"):
                    mail.send(message(i))
    finally:
        app.config.update(saved)
        listener.close()
        thread.join(5)
    assert len(accepted) == 1


def test_send_alone_opens_and_closes_its_own_connection(server):
    transport.send(message(1))
    transport.send(message(2))
    assert server.recorder.counts() == {1: 1, 2: 1}
    assert server.recorder.connections() == 2


def test_the_envelope_is_read_from_the_headers_as_smtplib_reads_it_and_bcc_stays_out_of_the_message(app, server):
    """The Sender, else the From, is MAIL FROM; To, Bcc and Cc are the recipients, names left out."""
    msg = message(1, to='"Dupont, Jeanne" <jeanne@test.example>, paul@test.example')
    msg["Cc"] = "Cabinet <cabinet@test.example>"
    msg["Bcc"] = "archive@test.example"
    with transport.session() as mail:
        mail.send(msg)
        second = message(2)
        second["Sender"] = "Secrétariat <secretariat@test.example>"
        mail.send(second)
    first_envelope, second_envelope = server.recorder.envelopes
    assert first_envelope[0] == ["jeanne@test.example", "paul@test.example", "archive@test.example",
                                 "cabinet@test.example"]
    assert second_envelope[0] == ["patient2@test.example"]
    sender = app.config["MAIL_FROM"].rsplit("<", 1)[-1].rstrip(">")
    assert server.recorder.senders == [sender, "secretariat@test.example"]
    assert server.messages[0]["Bcc"] is None and server.messages[0]["Cc"] == "Cabinet <cabinet@test.example>"


def _two_part(i: int, text: str):
    msg = message(i)
    msg.set_content(text)
    msg.add_alternative(f"<p>{i}</p>", subtype="html")
    return msg


def test_multipart_messages_share_a_boundary_that_none_of_their_texts_holds(server):
    """One boundary for the process's messages (RFC 2046 asks only that the message's text not hold
    it); a message whose text holds it as a line gets one of its own, and every part arrives whole."""
    holding = f"Line one\n--{transport.BOUNDARY}\nLine three\n"
    with transport.session() as mail:
        for i, text in enumerate(["Plain text\n", "Another\n", holding], start=1):
            mail.send(_two_part(i, text))
    boundaries = [m.get_boundary() for m in server.messages]
    assert boundaries[:2] == [transport.BOUNDARY] * 2
    assert boundaries[2] != transport.BOUNDARY and boundaries[2] not in holding
    for received, text in zip(server.messages, ["Plain text\n", "Another\n", holding], strict=True):
        assert [part.get_content_type() for part in received.iter_parts()] == ["text/plain", "text/html"]
        assert received.get_body(("plain",)).get_content().replace("\r\n", "\n") == text
    assert all(raw.count(f"--{b}--".encode()) == 1 for raw, b in zip(server.recorder.raw, boundaries, strict=True))


def test_a_multipart_inside_another_gets_a_boundary_that_is_not_the_outer_ones(server):
    """An invitation beside the two bodies: the inner and outer boundaries differ (neither inside the
    other), so the attachment and both bodies arrive as they were sent."""
    msg = _two_part(1, "Plain text\n")
    msg.add_attachment(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", maintype="text", subtype="calendar",
                       filename="invite.ics")
    with transport.session() as mail:
        mail.send(msg)
    [received] = server.messages
    outer, inner = received.get_boundary(), next(received.iter_parts()).get_boundary()
    assert outer and inner and outer not in inner and inner not in outer
    assert [p.get_filename() for p in received.iter_attachments()] == ["invite.ics"]
    assert received.get_body(("plain",)).get_content().replace("\r\n", "\n") == "Plain text\n"
