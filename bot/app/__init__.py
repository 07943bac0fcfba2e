"""The composition root and the processes: settings wiring, runtime, poller, scheduler, web, CLI, demo."""
