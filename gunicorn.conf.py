"""Read by gunicorn from the working directory (its default ``--config``) when the Procfile's
``web`` line starts it; ``python -m bot serve`` sets the same in code (bot/app/web_server.py).

gunicorn 27 starts a control socket in the master: a thread running an event loop, bound at
``~/.gunicorn/gunicorn.ctl``, stopped before each fork of a worker and started again after. Nothing
here uses it (no ``gunicornc``), and every web process on one host (the e2e tests, the benchmarks,
a laptop running two deployments) would take that one path from the others. (It was suspected of
the benchmark's web process that never answered ``/healthz``; that was the bench waiting for a 200
from a store whose feed had gone stale: benchmarks/_results_server.py.) A name gunicorn does not
know is ignored, so gunicorn 22-26 read this file as nothing.
"""

control_socket_disable = True
