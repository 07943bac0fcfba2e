"""A local Socket Mode endpoint: Slack's side of the WebSocket, on ``ws://127.0.0.1:<port>``.

Why a server of our own (about a hundred lines of RFC 6455) rather than a WebSocket library:
the bot uses slack_sdk's built-in client, which speaks plain ``ws://`` to any port but 443, and
the server side needs only the handshake, unfragmented text frames, ping/pong and close. No new
dependency, and every byte the client sends is ours to record.

What it does, as Slack does (https://api.slack.com/apis/socket-mode):

* answers the upgrade and sends ``{"type": "hello", ...}`` once the client is connected;
* :meth:`FakeSocketMode.send` pushes an envelope (``slash_commands``, ``interactive``,
  ``events_api``) to the connected client; :func:`slash_command` builds one;
* records every text frame the client sends (``received``); an acknowledgement is a frame
  with the envelope's ``envelope_id`` (and, for a slash command, the answer as ``payload``);
* answers pings with pongs, so the client's liveness check is satisfied.

Usage::

    with FakeSocketMode() as socket_mode, FakeSlack() as slack:
        slack.socket_mode_url = socket_mode.url
        ...  # start the bot with SLACK_APP_TOKEN=xapp-… and SLACK_API_URL=slack.base_url
        socket_mode.wait_connected()
        envelope = socket_mode.send(slash_command("/results", "alabama"))
        ack = socket_mode.wait_for_ack(envelope["envelope_id"])
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
import uuid
from types import TracebackType
from typing import Any

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


def slash_command(command: str, text: str, *, channel_id: str = "C0SOCKET", user_id: str = "U0ASKER") -> dict[str, Any]:
    """A ``slash_commands`` envelope as Slack sends it over Socket Mode: the same fields an HTTP
    slash command posts, as a JSON payload, with an envelope id the ack must echo."""
    return {
        "envelope_id": str(uuid.uuid4()),
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": {
            "token": "fake-verification-token",
            "team_id": "T0TEST",
            "team_domain": "fake-election-desk",
            "channel_id": channel_id,
            "channel_name": "election-night",
            "user_id": user_id,
            "user_name": "asker",
            "command": command,
            "text": text,
            "api_app_id": "A0APP",
            "is_enterprise_install": "false",
            "response_url": "http://127.0.0.1:9/response/unused",
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        },
    }


class FakeSocketMode:
    """One listening socket; one client at a time (the newest), each in a thread of its own."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._client: socket.socket | None = None
        self._stopped = False
        #: JSON text frames the client sent, in order
        self.received: list[dict[str, Any]] = []
        #: upgrade requests seen (one per connection the client opened)
        self.connections = 0
        self.pings = 0
        self._accepting = threading.Thread(target=self._accept, name="fake-socket-mode", daemon=True)

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> FakeSocketMode:
        self._accepting.start()
        return self

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            client, self._client = self._client, None
            self._changed.notify_all()
        if client is not None:
            _quietly(client.close)
        _quietly(self._listener.close)

    def __enter__(self) -> FakeSocketMode:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """What ``apps.connections.open`` answers (Slack's carries a ticket; the client keeps the query)."""
        return f"ws://127.0.0.1:{self._listener.getsockname()[1]}/link/?ticket=fake-ticket&app_id=A0APP"

    # ----------------------------------------------------------------- the test's side

    def wait_connected(self, timeout: float = 15.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self._client is not None, timeout):
                raise AssertionError(f"no Socket Mode client connected within {timeout} s")

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            client = self._client
        if client is None:
            raise AssertionError("no Socket Mode client is connected")
        _send_frame(client, TEXT, json.dumps(envelope).encode())
        return envelope

    def wait_for_ack(self, envelope_id: str, timeout: float = 15.0) -> dict[str, Any]:
        def ack() -> dict[str, Any] | None:
            return next((m for m in self.received if m.get("envelope_id") == envelope_id), None)

        with self._changed:
            if not self._changed.wait_for(lambda: ack() is not None, timeout):
                raise AssertionError(f"no ack for envelope {envelope_id} within {timeout} s; received {self.received}")
            found = ack()
            assert found is not None
            return found

    # ----------------------------------------------------------------- the server's side

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # stopped
            threading.Thread(target=self._serve, args=(conn,), name="fake-socket-mode-conn", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if not self._handshake(conn):
                conn.close()
                return
            with self._changed:
                if self._stopped:
                    conn.close()
                    return
                self._client = conn
                self.connections += 1
                self._changed.notify_all()
            hello = {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
                "connection_info": {"app_id": "A0APP"},
            }
            _send_frame(conn, TEXT, json.dumps(hello).encode())
            self._read_frames(conn)
        except OSError:
            pass
        finally:
            with self._changed:
                if self._client is conn:
                    self._client = None
                self._changed.notify_all()
            _quietly(conn.close)

    def _handshake(self, conn: socket.socket) -> bool:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(1024)
            if not chunk:
                return False
            request += chunk
        headers = {}
        for line in request.split(b"\r\n")[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        key = headers.get("sec-websocket-key")
        if headers.get("upgrade", "").lower() != "websocket" or not key:
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return False
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        conn.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\n"
                "Upgrade: websocket\r\n"
                "Connection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        return True

    def _read_frames(self, conn: socket.socket) -> None:
        while True:
            opcode, payload = _read_frame(conn)
            if opcode == CLOSE:
                with contextlib.suppress(OSError):
                    _send_frame(conn, CLOSE, payload[:2])
                return
            if opcode == PING:
                self.pings += 1
                _send_frame(conn, PONG, payload)
            elif opcode == TEXT:
                with self._changed:
                    self.received.append(json.loads(payload.decode()))
                    self._changed.notify_all()


def _read_exactly(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the client closed the socket")
        data += chunk
    return data


def _read_frame(conn: socket.socket) -> tuple[int, bytes]:
    """One client frame (always masked, RFC 6455 §5.3); fragments are not used by the client."""
    first, second = _read_exactly(conn, 2)
    opcode, length = first & 0x0F, second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", _read_exactly(conn, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", _read_exactly(conn, 8))
    mask = _read_exactly(conn, 4) if second & 0x80 else b"\0\0\0\0"
    data = _read_exactly(conn, length)
    return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def _send_frame(conn: socket.socket, opcode: int, payload: bytes) -> None:
    """A server frame: final, unmasked."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    conn.sendall(header + payload)


def _quietly(action: Any) -> None:
    with contextlib.suppress(OSError):
        action()


__all__ = ["FakeSocketMode", "slash_command"]
