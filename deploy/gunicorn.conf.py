"""gunicorn settings for `make serve`: `gunicorn -c deploy/gunicorn.conf.py app:app`.

Environment (all optional):
  HOST, PORT          where to listen (default 127.0.0.1:8000; nginx sits in front)
  WEB_CONCURRENCY     worker processes (default: 2 x CPU count + 1, at most 12)
  PORTAL_TIMEOUT      seconds a request may run before its worker is replaced (default 60)

Why these settings (measured with bench/load.py, 50 users on 2 CPUs): a page is CPU work in
Python, and a few pages (the KPI figures) take ~200 ms. Synchronous workers take a connection only
when they are free, so requests wait in the kernel's one queue and go to the first idle worker.
Threaded workers (gthread) with keep-alive let each worker hoard browsers' connections: one
worker did 60 % of the work while the others idled, and p95 tripled (456 ms against 128 ms).
2 x CPU + 1 processes keep both CPUs busy while a request waits for SQLite's write lock, a
PostgreSQL round trip or the fsync of an archived PDF. Each costs ~100 MB resident (the target is
120 MB; WeasyPrint and Alembic are imported only by the workers that need them). Sync workers
must sit behind a buffering proxy (nginx, see the README) so that a slow phone connection never
holds a worker.
"""
from __future__ import annotations

import os

try:
    _cpus = len(os.sched_getaffinity(0))  # the CPUs this process may use (containers, taskset)
except AttributeError:  # not Linux
    _cpus = os.cpu_count() or 1

bind = f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '8000'}"
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * _cpus + 1, 12))
worker_class = "sync"
timeout = int(os.environ.get("PORTAL_TIMEOUT") or 60)
graceful_timeout = 30
# The app is imported once in the master and the workers are forked from it: the secret key is
# read (or created) once, start-up is faster, and the imported code is shared between workers.
preload_app = True
# A worker is replaced after this many requests, so a slow leak (caches of a long-lived process)
# cannot grow without bound; the jitter keeps workers from restarting together.
max_requests = 2000
max_requests_jitter = 200
# The heartbeat file in memory: a slow disk (or a backup running on it) must not make the master
# think its workers are stuck.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'
# Headers from nginx are read by the app itself (PORTAL_PROXY_FIX), not by gunicorn.
forwarded_allow_ips = "127.0.0.1"
proc_name = "portal"


def post_fork(server, worker):  # noqa: ARG001 - gunicorn's hook signature
    # Connections opened in the master (none normally) must not be shared by the forked workers.
    app = server.app.wsgi()
    if "sqlalchemy" in getattr(app, "extensions", {}):
        from portal.extensions import db

        with app.app_context():
            db.engine.dispose(close=False)


def pre_fork(server, worker):  # noqa: ARG001 - gunicorn's hook signature
    # The objects the master imported are never freed: freezing them keeps the workers' collector
    # from touching (and so copying) the pages they share with the master.
    import gc

    gc.freeze()
