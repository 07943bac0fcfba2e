"""Local stand-ins for Slack (Web API server, request signing, WSGI serving) shared by the whole test suite.

They exist so tests exercise the real slack_sdk / slack_bolt HTTP code paths against loopback servers
instead of mocking those libraries, and so faults (rate limits, outages) can be injected on demand.
"""
