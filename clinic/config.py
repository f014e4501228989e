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

    # Read again when the app is built (clinic.settings): a missing, known or short key is refused.
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'clinic.sqlite'}"
    # The demo seed's staff have public passwords: only a development or test app may add them (the
    # configuration decides, not the debug flag, which the flask command sets from FLASK_DEBUG).
    DEMO_SEED_ALLOWED = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    SMTP_HOST = os.environ.get("SMTP_HOST") or None
    SMTP_PORT = _int("SMTP_PORT", 25)
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME") or None
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD") or None
    SMTP_STARTTLS = _bool("SMTP_STARTTLS", False)
    SMTP_SSL = _bool("SMTP_SSL", False)  # implicit TLS (port 465)
    SMTP_TIMEOUT = _int("SMTP_TIMEOUT", 20)
    # Whether the relay delivers to addresses with accented characters (SMTPUTF8): "auto" asks it,
    # "yes" or "no" say so (clinic/mail/international.py).
    MAIL_SMTPUTF8 = (os.environ.get("MAIL_SMTPUTF8") or "auto").strip().lower()
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

    SESSION_MAX_HOURS = _int("SESSION_MAX_HOURS", 12)  # absolute lifetime of a signed-in session
    LOGIN_ACCOUNT_FAILURES = _int("LOGIN_ACCOUNT_FAILURES", 10)  # failed sign-ins per account ...
    LOGIN_ACCOUNT_WINDOW_MINUTES = _int("LOGIN_ACCOUNT_WINDOW_MINUTES", 15)  # ... in this many minutes
    SERVER_TIMING = _bool("SERVER_TIMING", True)
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 1024 * 1024)
    # Trusted proxy hops in front of the app, per header (werkzeug ProxyFix); 0: not behind a proxy.
    PROXY_FIX_X_FOR = _int("PROXY_FIX_X_FOR", 0)
    PROXY_FIX_X_PROTO = _int("PROXY_FIX_X_PROTO", 0)
    PROXY_FIX_X_HOST = _int("PROXY_FIX_X_HOST", 0)
    PROXY_FIX_X_PREFIX = _int("PROXY_FIX_X_PREFIX", 0)

    PATIENT_LINK_MAX_AGE_DAYS = _int("PATIENT_LINK_MAX_AGE_DAYS", 30)
    # Hours a waiting-list offer may be accepted (first come, first served), never past the time offered.
    WAITLIST_OFFER_HOURS = _int("WAITLIST_OFFER_HOURS", 12)
    # Seconds between an open case page's checks that the case changed on another tablet.
    CHECKLIST_SYNC_SECONDS = _int("CHECKLIST_SYNC_SECONDS", 15)
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
    DEMO_SEED_ALLOWED = True   # `flask clinic seed-demo`: staff with public passwords
    # Without SECRET_KEY, a random key kept in instance/secret_key (made on the first run).
    SECRET_KEY_FILE = True


class TestingConfig(Config):
    TESTING = True
    DEMO_SEED_ALLOWED = True
    SECRET_KEY = "testing-secret-of-the-test-suite-only"  # noqa: S105 (signs the test suite's cookies only)
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or "sqlite://"
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = False
    SERVER_NAME = None


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SERVER_TIMING = _bool("SERVER_TIMING", False)

    @staticmethod
    def check(config) -> None:
        """Refuse to start production without its secrets, a public https address and encrypted mail."""
        if not os.environ.get("DATABASE_URL"):
            raise RuntimeError("production needs the DATABASE_URL environment variable")
        if not str(config.get("BASE_URL") or "").startswith("https://"):
            raise RuntimeError("production needs BASE_URL, the public https:// address of the clinic")
        if not config.get("SMTP_HOST"):
            raise RuntimeError("production needs SMTP_HOST, the mail relay (with SMTP_STARTTLS=1 or SMTP_SSL=1)")
        if not (config.get("SMTP_STARTTLS") or config.get("SMTP_SSL")):
            raise RuntimeError("production sends mail only over TLS: set SMTP_STARTTLS=1 or SMTP_SSL=1")


class BenchmarkConfig(ProductionConfig):
    """Production settings on a closed test machine (bench/, tests/scale): a loopback http address and
    a local mail catcher without TLS are allowed; the secret key is checked as everywhere but testing."""

    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SERVER_TIMING = _bool("SERVER_TIMING", True)  # the benchmarks read the server's own time

    @staticmethod
    def check(config) -> None:
        if not os.environ.get("DATABASE_URL"):
            raise RuntimeError("the benchmark configuration needs the DATABASE_URL environment variable")


# Keys written in this code base (the test suite's, and those of earlier versions): never accepted
# outside testing, since anyone who reads the code can sign a cookie with them.
KNOWN_KEYS = frozenset({
    TestingConfig.SECRET_KEY, "testing-secret", "dev-only-secret-change-me", "bench-secret-not-for-production",
    "entry-secret",
})
MIN_SECRET_BYTES = 32


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
    "benchmark": BenchmarkConfig,
}


def secret_key_problem(key) -> str | None:
    """Why this SECRET_KEY cannot sign anything outside testing, or None when it can."""
    if not key:
        return "SECRET_KEY is not set"
    raw = key.encode() if isinstance(key, str) else bytes(key)
    if key in KNOWN_KEYS:
        return "SECRET_KEY is a key written in the code, which anyone can read"
    if len(raw) < MIN_SECRET_BYTES:
        return f"SECRET_KEY is shorter than {MIN_SECRET_BYTES} bytes"
    return None


def instance_secret_key(instance: Path) -> str:
    """The development key kept in instance/secret_key, made (random, readable by its owner only) on first use."""
    import secrets

    path = instance / "secret_key"
    if not path.is_file():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
