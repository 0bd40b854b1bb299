"""A minimal Django project serving django-helpdesk, the peer of ``bench/peers/django_helpdesk.py``.

It runs in the peer's own virtual environment (``bench/peers/.venv``), never in soporte's.
"""
