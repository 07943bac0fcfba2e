"""Read by gunicorn from the working directory (its default ``--config``) when the Procfile's
``web`` line starts it; ``python -m bot serve`` sets the same in code (bot/app/web_server.py).

gunicorn 27 starts a control socket in the master: a thread running an event loop, bound at
``~/.gunicorn/gunicorn.ctl``, stopped before each fork of a worker and started again after. Nothing
here uses it (no ``gunicornc``), two web processes on one host (the e2e tests, the benchmarks, a
laptop) would take the one path from each other, and a web process started beside another sometimes
never answered ``/healthz`` (the benchmark's stalls in sessions 5 and 6). A name gunicorn does not
know is ignored, so gunicorn 22-26 read this file as nothing.
"""

control_socket_disable = True
