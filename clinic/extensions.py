"""Unbound Flask extensions, bound to the app in create_app (no circular imports)."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from clinic.db import Base

# What a view loaded is what its page renders: the commit (unit_of_work.py) does not expire it.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
# The base class of every model. Flask-SQLAlchemy makes db.Model at run time from Base, so the type
# checker is shown Base itself (a base class must be a class it can name, not an attribute of db).
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
