"""gunicorn settings for every way the app is served (Procfile, make serve, tests).

gunicorn reads this file from the working directory. Threaded workers keep the
site responsive while a long download streams; the read-only DuckDB connection
hands each thread its own cursor. Values can be overridden on the command line.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8050')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("PONMETRO_THREADS", "4"))
# Streaming a large XLSX can take minutes; the worker heartbeat still runs meanwhile.
timeout = 300
graceful_timeout = 30
keepalive = 5
# Request size limits (headers and URL): hostile clients get 400 before any app code.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
