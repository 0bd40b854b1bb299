"""Django settings for the peer: django-helpdesk 2.6.1 as its documentation sets it up, on a
SQLite file (soporte's default database too), production-like (``DEBUG`` off, no debug
toolbar, no request logging), so that what is measured is the helpdesk's own work.

``HELPDESK_PEER_DB`` names the database file (the bench gives each run its own).
"""

import os

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = "bench-peer-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]
SITE_ID = 1

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "helpdesk_site.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WSGI_APPLICATION = "helpdesk_site.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("HELPDESK_PEER_DB", os.path.join(BASE_DIR, "peer.sqlite3")),
        # WAL, as soporte opens its SQLite file.
        "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;"},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "es"
STATIC_URL = "/static/"
MEDIA_ROOT = os.environ.get("HELPDESK_PEER_MEDIA", os.path.join(BASE_DIR, "media"))
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
LOGIN_URL = "/login/"

# django-helpdesk: its REST API on (the default), no teams app (pinax-teams is optional).
HELPDESK_TEAMS_MODE_ENABLED = False
HELPDESK_API_ENABLED = True
# DRF as django-helpdesk's API documents it: session (or basic) authentication. The bench
# sends a session cookie: basic authentication would hash the password (PBKDF2) per request.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
