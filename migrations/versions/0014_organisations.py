"""Organisations own sites and their patients' data: every table that holds patient data carries
organisation_id (indexed, so the data can be distributed by it). Existing data is backfilled with
one organisation per country of the sites (code "fr", "us"...); a patient belongs to the
organisation of the site of their first appointment. Patients that no site explains go to an
"unassigned" organisation that only the deployment's administrator sees (never guessed into a
clinic), unless there is only one organisation.

Revision ID: 0014
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# Table, and the SQL giving each row's organisation from its parent (in dependency order).
DERIVED = [
    ('appointments', "SELECT s.organisation_id FROM sites s WHERE s.id = appointments.site_id"),
    ('appointment_changes',
     "SELECT a.organisation_id FROM appointments a WHERE a.id = appointment_changes.appointment_id"),
    ('checklists', "SELECT a.organisation_id FROM appointments a WHERE a.id = checklists.appointment_id"),
    ('checklist_entries', "SELECT c.organisation_id FROM checklists c WHERE c.id = checklist_entries.checklist_id"),
    ('patient_medications', "SELECT p.organisation_id FROM patients p WHERE p.id = patient_medications.patient_id"),
    ('injection_records', "SELECT p.organisation_id FROM patients p WHERE p.id = injection_records.patient_id"),
    ('reminders', "SELECT p.organisation_id FROM patients p WHERE p.id = reminders.patient_id"),
    ('pain_scores', "SELECT p.organisation_id FROM patients p WHERE p.id = pain_scores.patient_id"),
    ('patient_requests', "SELECT p.organisation_id FROM patients p WHERE p.id = patient_requests.patient_id"),
    ('patient_request_times',
     "SELECT r.organisation_id FROM patient_requests r WHERE r.id = patient_request_times.request_id"),
    ('manage_links', "SELECT p.organisation_id FROM patients p WHERE p.id = manage_links.patient_id"),
]
REQUIRED = ['sites', 'patients'] + [t for t, _ in DERIVED]
NULLABLE = ['users', 'audit_events']  # an organisation's administrator; an event about a patient


def _fk(table):
    return op.f(f'fk_{table}_organisation_id_organisations')


def _ix(table):
    return op.f(f'ix_{table}_organisation_id')


def upgrade():
    op.create_table(
        'organisations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=False),
        sa.Column('privacy_contact', sa.String(length=254), server_default='', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
        sa.UniqueConstraint('code', name=op.f('uq_organisations_code')),
    )
    for table in REQUIRED + NULLABLE:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
    _backfill()
    for table in REQUIRED + NULLABLE:
        with op.batch_alter_table(table) as batch:
            if table in REQUIRED:
                batch.alter_column('organisation_id', existing_type=sa.Integer(), nullable=False)
            batch.create_foreign_key(_fk(table), 'organisations', ['organisation_id'], ['id'])
            batch.create_index(_ix(table), ['organisation_id'], unique=False)


def _backfill():
    conn = op.get_bind()
    countries = [r[0] for r in conn.execute(sa.text("SELECT DISTINCT country FROM sites ORDER BY country"))]
    for country in countries:
        conn.execute(sa.text("INSERT INTO organisations (code, name, country, privacy_contact) "
                             "VALUES (:code, :name, :country, '')"),
                     {"code": country.lower(), "name": f"Organisation {country.upper()}", "country": country})
    conn.execute(sa.text("UPDATE sites SET organisation_id = "
                         "(SELECT o.id FROM organisations o WHERE o.country = sites.country)"))
    conn.execute(sa.text(
        "UPDATE patients SET organisation_id = (SELECT s.organisation_id FROM appointments a "
        "JOIN sites s ON s.id = a.site_id WHERE a.patient_id = patients.id ORDER BY a.created_at, a.id LIMIT 1)"))
    if conn.execute(sa.text("SELECT count(*) FROM patients WHERE organisation_id IS NULL")).scalar():
        if len(countries) == 1:
            only = conn.execute(sa.text("SELECT id FROM organisations")).scalar()
        else:
            conn.execute(sa.text("INSERT INTO organisations (code, name, country, privacy_contact) "
                                 "VALUES ('unassigned', 'Patients without a site', 'ZZ', '')"))
            only = conn.execute(sa.text("SELECT id FROM organisations WHERE code = 'unassigned'")).scalar()
        conn.execute(sa.text("UPDATE patients SET organisation_id = :o WHERE organisation_id IS NULL"), {"o": only})
    for table, source in DERIVED:
        conn.execute(sa.text(f"UPDATE {table} SET organisation_id = ({source})"))
    # The audit log is append-only (0007): the owner lifts its guard for this one backfill only.
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
    conn.execute(sa.text("UPDATE audit_events SET organisation_id = (SELECT p.organisation_id FROM patients p "
                         "WHERE p.id = audit_events.patient_id) WHERE patient_id IS NOT NULL"))
    if postgres:
        conn.execute(sa.text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))


def downgrade():
    for table in reversed(REQUIRED + NULLABLE):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(_ix(table))
            batch.drop_constraint(_fk(table), type_='foreignkey')
            batch.drop_column('organisation_id')
    op.drop_table('organisations')
