"""gunicorn settings for Accord behind nginx (see deploy/README.md).

WSGI, not ASGI: Django's ASGI handler buffers streaming responses in memory, and the
``django`` download backend streams files of many gigabytes.
"""

import multiprocessing
import os

wsgi_app = "accord.wsgi:application"

# The socket comes from systemd (deploy/systemd/accord.socket); gunicorn picks it up through
# LISTEN_FDS. Without systemd, bind to the same path.
bind = os.environ.get("GUNICORN_BIND", "unix:/run/accord/gunicorn.sock")

# Threads, not sync workers: a download streamed by Django (ACCORD_DOWNLOAD_BACKEND=django)
# holds its thread for as long as the transfer lasts, and gthread workers keep answering the
# arbiter's heartbeat meanwhile, so long transfers are not killed by `timeout`.
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 8))
timeout = 60
graceful_timeout = 60
keepalive = 5
# Recycle workers now and then (bounded memory growth from any leak).
max_requests = 2000
max_requests_jitter = 200

# Whose X-Forwarded-Proto gunicorn believes: peers on the unix socket (only nginx can reach
# it) always, TCP peers only if listed in ACCORD_TRUSTED_PROXIES, the same list Accord uses
# for X-Real-IP. "*" would let anyone who reaches a TCP bind claim HTTPS.
forwarded_allow_ips = os.environ.get("ACCORD_TRUSTED_PROXIES", "")

# No access log here: nginx keeps it (deploy/nginx/accord.conf), with the secret part of
# download links redacted, which gunicorn's log format cannot do.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
