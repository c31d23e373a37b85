"""The TCP socket of an RTSP session, found through /proc (Linux), so that a hung read can be ended.

Why: PyAV's read timeout installs an FFmpeg interrupt callback that takes the GIL on every I/O check,
hundreds of times a second per camera; with 17 reader threads that contention cost more CPU than
recording itself. Without it, nothing ends a read that blocks because a camera keeps sending bytes
that never make a packet. Shutting the session's socket down does, from any thread, at no cost while
the stream is healthy: FFmpeg's next read sees the end of the stream.

FFmpeg does not say which socket is a session's: it is the one socket to the camera's address that
appeared while the session opened, with opens to one address taken one at a time so that no other
reader's socket can appear meanwhile. Where that cannot be known (no /proc, an address that does not
resolve, a redirect, another connection to the camera opened meanwhile) callers fall back to PyAV's
read timeout.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

_PROC = Path("/proc")
_ESTABLISHED = "01"  # the state column of /proc/net/tcp
_RTSP_PORT = 554
_RTSPS_PORT = 322
_STOP_CHECK_SECONDS = 0.1  # how often a wait for an address's open lock looks at its reader's stop

_locks_guard = threading.Lock()
_open_locks: dict[tuple[frozenset[str], int], threading.Lock] = {}


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A camera's RTSP address: the IP addresses its host name resolves to, and the port."""

    addresses: frozenset[str]
    port: int


def rtsp_endpoint(url: str) -> Endpoint | None:
    """The address an RTSP `url` connects to, or None where its socket cannot be found.

    Blocking (resolves the host name): call it on a reader thread.
    """
    if not (_PROC / "net" / "tcp").exists() or not (_PROC / "self" / "fd").is_dir():
        return None
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in {"rtsp", "rtsps"} or not parts.hostname:
            return None
        port = parts.port or (_RTSPS_PORT if scheme == "rtsps" else _RTSP_PORT)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (ValueError, OSError):  # a malformed port, a name that does not resolve
        return None
    addresses = frozenset(str(info[4][0]) for info in infos)
    return Endpoint(addresses, port) if addresses else None


@contextlib.contextmanager
def opening(endpoint: Endpoint, timeout: float, stop: threading.Event) -> Iterator[bool]:
    """Hold `endpoint`'s open lock (True), or give up (False) after `timeout` seconds or when `stop` is set.

    Giving up after a while matters: a camera (or an NVR channel) whose open hangs holds its address's
    lock for up to an open timeout.
    """
    with _locks_guard:
        lock = _open_locks.setdefault((endpoint.addresses, endpoint.port), threading.Lock())
    deadline = time.monotonic() + timeout
    acquired = False
    while not (acquired or stop.is_set()) and (left := deadline - time.monotonic()) > 0:
        acquired = lock.acquire(timeout=min(left, _STOP_CHECK_SECONDS))
    try:
        yield acquired
    finally:
        if acquired:
            lock.release()


def connected_sockets(endpoint: Endpoint) -> set[int]:
    """Inodes of this process's established TCP sockets to `endpoint`."""
    to_endpoint = _connections_to(endpoint)
    return to_endpoint & _own_sockets() if to_endpoint else set()


def shutdown(inode: int) -> bool:
    """Shut down this process's socket `inode` for reading and writing; False if it is gone.

    The socket's owner keeps its descriptor (closing it is still the owner's job); its blocked and
    next reads return the end of the stream.
    """
    for fd in _fds_of(inode):
        try:
            duplicate = os.dup(fd)
        except OSError:  # closed meanwhile
            continue
        try:
            # The descriptor may have been closed and its number reused since the scan: only the
            # socket with this very inode is shut down (through a duplicate, which cannot be reused).
            if os.fstat(duplicate).st_ino == inode and _libc().shutdown(duplicate, socket.SHUT_RDWR) == 0:
                return True
        finally:
            os.close(duplicate)
    return False


@functools.cache
def _libc() -> ctypes.CDLL:
    """The C library, for shutdown(2) on a bare descriptor (a Python socket object would own it)."""
    return ctypes.CDLL(None, use_errno=True)


def _connections_to(endpoint: Endpoint) -> set[int]:
    """Inodes of every established TCP connection (of any process in this namespace) to `endpoint`."""
    inodes: set[int] = set()
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        try:
            lines = (_PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:  # no IPv6 here
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != _ESTABLISHED:
                continue
            address, port = _address(fields[2], family)
            if port == endpoint.port and address in endpoint.addresses:
                inodes.add(int(fields[9]))
    return inodes


def _address(text: str, family: int) -> tuple[str, int]:
    """An address of /proc/net/tcp(6), `0100007F:1F90`: 32-bit words in host order, then the port."""
    hex_address, hex_port = text.split(":")
    words = [int(hex_address[i : i + 8], 16) for i in range(0, len(hex_address), 8)]
    packed = struct.pack(f"={len(words)}I", *words)
    address = socket.inet_ntop(family, packed)
    if address.startswith("::ffff:") and "." in address:  # IPv4 through an IPv6 socket
        address = address.removeprefix("::ffff:")
    return address, int(hex_port, 16)


def _own_sockets() -> set[int]:
    return {inode for _fd, inode in _socket_fds()}


def _fds_of(inode: int) -> list[int]:
    return [fd for fd, own in _socket_fds() if own == inode]


def _socket_fds() -> Iterator[tuple[int, int]]:
    """(descriptor, inode) of this process's sockets."""
    folder = _PROC / "self" / "fd"
    for name in os.listdir(folder):
        try:
            target = os.readlink(folder / name)
        except OSError:  # closed since the listing
            continue
        if target.startswith("socket:["):
            yield int(name), int(target[8:-1])
