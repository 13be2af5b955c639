"""Cheap health probes for local servers (no third-party client on the hot path)."""

from __future__ import annotations

import http.client
import socket

from pytest_sticky.ports import LOOPBACK


def http_ok(port: int, path: str = "/healthz", host: str = LOOPBACK, timeout: float = 1.0) -> bool:
    try:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.request("GET", path)
            return conn.getresponse().status == 200
        finally:
            conn.close()
    except OSError:
        return False


def answers_as(pod_name: str, port: int, path: str = "/healthz", host: str = LOOPBACK, timeout: float = 1.0) -> bool:
    """``GET path`` is 200 and comes from ``pod_name``: an app that names itself (``X-Pod-Name``) must
    name this pod, so another process that took the port meanwhile is not mistaken for the new replica."""
    try:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            named = response.getheader("X-Pod-Name")
            return response.status == 200 and named in (None, pod_name)
        finally:
            conn.close()
    except OSError:
        return False


def tcp_open(port: int, host: str = LOOPBACK, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def redis_pong(port: int, host: str = LOOPBACK, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False
