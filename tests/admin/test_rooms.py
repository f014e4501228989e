"""Rooms: modalities, and no deactivation while future bookings hold the room."""

import datetime as dt

import pytest

from clinic.errors import ValidationFailed
from clinic.sites import rooms


def test_room_with_future_booking_cannot_be_deactivated(frozen, db, client, login_as, make_user, paris, book,
                                                        post_form):
    """The page refuses with 409 and lists the booking; the room stays active."""
    login_as("admin")
    physician = make_user("physician", sites=[paris])
    room = paris.rooms[0]
    appointment = book(physician, paris, dt.date(2026, 3, 20), dt.time(10), room=room)
    db.session.commit()
    path = f"/admin/sites/{paris.id}/rooms"
    response = post_form(f"{path}/{room.id}/deactivate", token_from=path)
    assert response.status_code == 409
    assert f"/appointments/{appointment.id}" in response.get_data(as_text=True)
    db.session.refresh(room)
    assert room.active is True


def test_room_without_future_booking_is_deactivated(frozen, db, make_user, paris, book):
    """Past and cancelled bookings do not hold a room."""
    physician = make_user("physician", sites=[paris])
    room = paris.rooms[0]
    book(physician, paris, dt.date(2026, 2, 20), dt.time(10), room=room, status="completed")
    book(physician, paris, dt.date(2026, 3, 20), dt.time(10), room=room, status="cancelled")
    rooms.set_active(room, False)
    assert room.active is False
    rooms.set_active(room, True)
    assert room.active is True


def test_room_needs_a_known_modality_and_unique_name(db, paris):
    with pytest.raises(ValidationFailed):
        rooms.create_room(paris, "Salle 9", ["mri"])
    with pytest.raises(ValidationFailed):
        rooms.create_room(paris, paris.rooms[0].name, ["ct"])
    room = rooms.create_room(paris, "Salle 9", ["ct", "ultrasound"])
    assert room.modalities == ["ultrasound", "ct"]


def test_room_form_creates_room(db, client, login_as, paris, post_form):
    login_as("admin")
    path = f"/admin/sites/{paris.id}/rooms/new"
    response = post_form(path, {"name": "Échographie", "modalities": ["ultrasound"]}, token_from=path)
    assert response.status_code == 302
    assert any(r.name == "Échographie" for r in paris.rooms)
