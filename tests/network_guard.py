"""Meterbook works offline: guards that turn any network connection into a failure.

Loopback (127.0.0.0/8, ::1, "localhost") and local (Unix) sockets stay allowed: the PostgreSQL
tests talk to a throwaway server on loopback, and Qt talks to its own local sockets. The same
test of an address serves the in-process guard (tests/conftest.py, every test) and the audit
hook that test_offline.py installs in each `meterbook` subprocess (this file is copied beside
a sitecustomize.py there, so it imports nothing of the tests or of Meterbook).
"""

from __future__ import annotations

import ipaddress
import socket
import sys

_LOCAL_NAMES = {"", "localhost", "localhost.localdomain", "ip6-localhost"}


class NetworkUsed(AssertionError):
    """Code under test tried to reach the network."""


def is_local(address: object) -> bool:
    """Whether a socket address (or a bare host) stays on this machine."""
    if isinstance(address, (str, bytes)) and not _looks_like_host(address):
        return True  # a Unix socket's path (or an abstract name)
    host = address[0] if isinstance(address, tuple) else address
    if host is None:
        return True  # a lookup of a local service (getaddrinfo(None, port))
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _looks_like_host(text: str | bytes) -> bool:
    # A bare host given to a lookup ("example.com", "10.0.0.1") has no slash and no NUL,
    # unlike a Unix socket's path or abstract name.
    value = text.decode("ascii", "replace") if isinstance(text, bytes) else text
    return "/" not in value and "\x00" not in value and value != ""


def refuse_network(monkeypatch) -> None:
    """Make every connect, send or name lookup that leaves the machine raise NetworkUsed."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_sendto, real_getaddrinfo = socket.socket.sendto, socket.getaddrinfo

    def check(address: object) -> None:
        if not is_local(address):
            raise NetworkUsed(f"a test tried to reach the network: {address!r}")

    def connect(self, address):
        if self.family != socket.AF_UNIX:
            check(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        if self.family != socket.AF_UNIX:
            check(address)
        return real_connect_ex(self, address)

    def sendto(self, data, *args):
        if self.family != socket.AF_UNIX:
            check(args[-1])
        return real_sendto(self, data, *args)

    def getaddrinfo(host, *args, **kwargs):
        check(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", sendto)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


# Python's audit events that name where a socket goes or which name it looks up, and the
# argument holding the address.
_AUDITED = {"socket.connect": 1, "socket.sendto": 1, "socket.getaddrinfo": 0,
            "socket.gethostbyname": 0, "socket.gethostbyaddr": 0}


def install_audit_hook(log_path: str) -> None:
    """For a whole process (from sitecustomize): note each attempt to reach the network in
    `log_path` and fail it. The note is what the test reads: code that catches the error
    (the command's last line of defence) cannot hide the attempt."""

    def hook(event: str, args: tuple) -> None:
        index = _AUDITED.get(event)
        if index is None:
            return
        target = args[index]
        if event in ("socket.connect", "socket.sendto") and args[0].family == socket.AF_UNIX:
            return
        if not is_local(target):
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(f"{event} {target!r}\n")
            raise NetworkUsed(f"Meterbook tried to reach the network: {event} {target!r}")

    sys.addaudithook(hook)
