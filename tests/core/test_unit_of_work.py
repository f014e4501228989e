"""The request owns its transaction: one commit after a view that returns, none after one that
raises; the CLI commits through the same unit of work."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.exceptions import Conflict

from clinic import unit_of_work
from clinic.accounts.models import LoginFailure, User
from clinic.audit.models import AuditEvent
from tests.factories import PASSWORD
from tests.web import csrf_token


@pytest.fixture
def commits(db, monkeypatch):
    """What is committed from now on: `session` counts the session's commits, `helper` the calls of
    the unit of work's commit(); each commit of the application must be one of the helper's."""
    counted = {"session": 0, "helper": 0}

    def on_commit(session) -> None:
        counted["session"] += 1

    original = unit_of_work.commit

    def helper() -> None:
        counted["helper"] += 1
        original()

    monkeypatch.setattr(unit_of_work, "commit", helper)
    sa.event.listen(Session, "after_commit", on_commit)
    yield counted
    sa.event.remove(Session, "after_commit", on_commit)


def _kept(db, stmt):
    """The rows the statement finds once the session's uncommitted work is dropped."""
    db.session.rollback()
    return db.session.execute(stmt).scalars().all()


def test_an_audited_read_is_committed_once_after_the_page(client, db, login_as, make_patient, commits):
    patient = make_patient()
    login_as("physician")
    commits.update(session=0, helper=0)
    response = client.get(f"/patients/{patient.id}")
    assert response.status_code == 200 and patient.last_name in response.get_data(as_text=True)
    assert commits == {"session": 1, "helper": 1}
    read = sa.select(AuditEvent).where(AuditEvent.action == "patient.read", AuditEvent.patient_id == patient.id)
    assert len(_kept(db, read)) == 1


def _choose_french(client, commits):
    """The signed-in user's language set to French, commits counted from this request on."""
    token = csrf_token(client, "/")
    commits.update(session=0, helper=0)
    return client.post("/language/fr", data={"csrf_token": token, "next": "/"})


def test_a_change_is_committed_once_before_the_redirect(client, db, login_as, commits):
    user = login_as("nurse")
    assert _choose_french(client, commits).status_code == 302
    assert commits == {"session": 1, "helper": 1}
    assert _kept(db, sa.select(User.language).where(User.id == user.id)) == ["fr"]


def test_a_view_that_fails_after_writing_keeps_nothing(client, db, login_as, commits, monkeypatch):
    """The language is changed, then the view fails (here: refuses on its way out): nothing is kept."""
    user = login_as("nurse")

    def refuse(_target):
        raise Conflict("refused after the write")

    monkeypatch.setattr("clinic.accounts.views._safe_next", refuse)
    assert _choose_french(client, commits).status_code == 409
    assert commits == {"session": 0, "helper": 0}
    assert _kept(db, sa.select(User.language).where(User.id == user.id)) == ["en"]


def test_a_failed_sign_in_is_kept_even_when_the_request_then_fails(client, db, make_user, commits, monkeypatch):
    user = make_user("nurse")
    token = csrf_token(client)

    def refuse(*_args, **_kwargs):
        raise Conflict("refused after the failure was counted")

    monkeypatch.setattr("clinic.accounts.views.flash", refuse)
    commits.update(session=0, helper=0)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD + "-wrong", "csrf_token": token})
    assert response.status_code == 409
    assert commits == {"session": 1, "helper": 1}
    assert len(_kept(db, sa.select(LoginFailure).where(LoginFailure.email == user.email))) == 1


def test_requests_keep_what_they_loaded_on_commit(app):
    """Outside the tests' own session, the application's sessions do not expire their objects on commit."""
    from clinic.extensions import db

    with app.app_context():
        assert db.session().expire_on_commit is False


def test_the_cli_commits_once_through_the_unit_of_work(app, db, paris, commits):
    runner = app.test_cli_runner()
    args = ["clinic", "create-user", "--email", "uow@test.example", "--name", "Unit Of Work", "--role", "nurse",
            "--password", PASSWORD, "--location", paris.code]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert commits == {"session": 1, "helper": 1}
    assert len(_kept(db, sa.select(User).where(User.email == "uow@test.example"))) == 1
    again = runner.invoke(args=args)  # refused: the address is taken; nothing is committed
    assert again.exit_code != 0
    assert commits == {"session": 1, "helper": 1}
