"""WSGI entry point for gunicorn: ``gunicorn -w 4 -b 0.0.0.0:8000 crm.wsgi:app``.

Each worker imports this module itself (do not use ``--preload``), so every worker opens its
own database connections after the fork.
"""

from crm import create_app

app = create_app()
