"""Text messages: patients' phones in E.164 and their SMS consent, short manage links for SMS.

Existing phone numbers are parsed with the country of the site of the patient's latest appointment
(else the first site's) as default region and written in E.164; a number that does not parse is
kept as typed (nothing is lost) and no SMS goes to it until the desk corrects it on the form. The
gateway's message id of an SMS is kept in reminders.message_id, as the Message-ID of an e-mail is.

Revision ID: 0013
Revises: 0012
"""
import secrets

import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def _e164(raw, region):
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def upgrade():
    with op.batch_alter_table('patients') as batch:
        batch.add_column(sa.Column('sms_opt_in', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('manage_links') as batch:
        batch.add_column(sa.Column('short_token', sa.String(length=16), nullable=True))
        batch.create_unique_constraint(op.f('uq_manage_links_short_token'), ['short_token'])
    bind = op.get_bind()
    for (link_id,) in bind.execute(sa.text("SELECT id FROM manage_links WHERE short_token IS NULL")).all():
        bind.execute(sa.text("UPDATE manage_links SET short_token = :t WHERE id = :i"),
                     {"t": secrets.token_urlsafe(8), "i": link_id})
    first = bind.execute(sa.text("SELECT country FROM sites ORDER BY id LIMIT 1")).scalar()
    rows = bind.execute(sa.text(
        "SELECT p.id, p.phone, (SELECT s.country FROM appointments a JOIN sites s ON s.id = a.site_id "
        " WHERE a.patient_id = p.id ORDER BY a.start_at DESC LIMIT 1) FROM patients p "
        "WHERE p.phone IS NOT NULL AND p.phone <> ''")).all()
    for patient_id, phone, country in rows:
        e164 = _e164(phone, country or first or 'FR')
        if e164 and e164 != phone:
            bind.execute(sa.text("UPDATE patients SET phone = :p WHERE id = :i"), {"p": e164, "i": patient_id})


def downgrade():
    with op.batch_alter_table('manage_links') as batch:
        batch.drop_constraint(op.f('uq_manage_links_short_token'), type_='unique')
        batch.drop_column('short_token')
    with op.batch_alter_table('patients') as batch:
        batch.drop_column('sms_opt_in')
