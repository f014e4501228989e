"""Configuration classes. Secrets and deployment details come from the environment."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "clinic"


def _instance_path() -> Path:
    """CLINIC_INSTANCE_PATH, else instance/ beside the package in a source checkout, else in the
    working directory (an installed package never writes into site-packages)."""
    if os.environ.get("CLINIC_INSTANCE_PATH"):
        return Path(os.environ["CLINIC_INSTANCE_PATH"])
    return ROOT / "instance" if (ROOT / "pyproject.toml").is_file() else Path.cwd() / "instance"


def resource(name: str) -> Path:
    """templates/, static/ or migrations/: inside the package when installed from the wheel,
    beside it in a source checkout."""
    inside = PACKAGE / name
    return inside if inside.is_dir() else ROOT / name


INSTANCE = _instance_path()


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


class Config:
    """Settings shared by every configuration; each may be overridden from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'clinic.sqlite'}"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    SMTP_HOST = os.environ.get("SMTP_HOST") or None
    SMTP_PORT = _int("SMTP_PORT", 25)
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME") or None
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD") or None
    SMTP_STARTTLS = _bool("SMTP_STARTTLS", False)
    SMTP_TIMEOUT = _int("SMTP_TIMEOUT", 20)
    MAIL_FROM = os.environ.get("MAIL_FROM", "Clinic <no-reply@clinic.example>")
    OUTBOX_DIR = os.environ.get("OUTBOX_DIR", str(INSTANCE / "outbox"))
    # Text messages: "outbox" (JSON files in SMS_DIR) or "http" (a gateway at SMS_HTTP_URL, see README).
    SMS_PROVIDER = os.environ.get("SMS_PROVIDER") or "outbox"
    SMS_HTTP_URL = os.environ.get("SMS_HTTP_URL") or None
    SMS_HTTP_TOKEN = os.environ.get("SMS_HTTP_TOKEN") or None
    SMS_HTTP_TIMEOUT = _int("SMS_HTTP_TIMEOUT", 10)
    SMS_DIR = os.environ.get("SMS_DIR", str(INSTANCE / "sms"))

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("en", "fr")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = _int("SESSION_IDLE_MINUTES", 30) * 60
    WTF_CSRF_TIME_LIMIT = None

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")

    PATIENT_LINK_MAX_AGE_DAYS = _int("PATIENT_LINK_MAX_AGE_DAYS", 30)
    # Megabytes of availability answers kept per worker, keyed by the site's schedule stamp (0: none).
    AVAILABILITY_CACHE_MB = _int("AVAILABILITY_CACHE_MB", 32)
    DISPATCH_INTERVAL_SECONDS = _int("DISPATCH_INTERVAL_SECONDS", 30)
    DISPATCH_BATCH_SIZE = _int("DISPATCH_BATCH_SIZE", 50)
    DISPATCH_MAX_ATTEMPTS = _int("DISPATCH_MAX_ATTEMPTS", 6)
    DISPATCH_CLAIM_TIMEOUT_SECONDS = _int("DISPATCH_CLAIM_TIMEOUT_SECONDS", 300)
    DISPATCH_BACKOFF_BASE_SECONDS = _int("DISPATCH_BACKOFF_BASE_SECONDS", 60)
    DISPATCH_BACKOFF_CAP_SECONDS = _int("DISPATCH_BACKOFF_CAP_SECONDS", 3600)

    TESTING = False
    DEBUG = False


class DevelopmentConfig(Config):
    DEBUG = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or "sqlite://"
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = False
    SERVER_NAME = None


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

    @classmethod
    def check(cls) -> None:
        """Refuse to start production without its secrets."""
        missing = [n for n in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(n)]
        if missing:
            raise RuntimeError(f"production needs these environment variables: {', '.join(missing)}")


SMS_PROVIDERS = ("outbox", "http")


def check_sms(config) -> None:
    """Fail closed at start-up: an unknown SMS_PROVIDER, or `http` without its URL or token."""
    provider = config.get("SMS_PROVIDER") or "outbox"
    if provider not in SMS_PROVIDERS:
        raise RuntimeError(f"SMS_PROVIDER must be one of {', '.join(SMS_PROVIDERS)} (it is {provider!r})")
    if provider == "http":
        missing = [n for n in ("SMS_HTTP_URL", "SMS_HTTP_TOKEN") if not config.get(n)]
        if missing:
            raise RuntimeError(f"SMS_PROVIDER=http needs {' and '.join(missing)}: text messages cannot be "
                               "sent, nor STOP answers received, without them")
        if not str(config["SMS_HTTP_URL"]).startswith(("https://", "http://")):
            raise RuntimeError("SMS_HTTP_URL must be an http:// or https:// address")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
