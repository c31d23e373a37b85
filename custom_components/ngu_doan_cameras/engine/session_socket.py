"""The TCP socket of an RTSP session, found through /proc (Linux), so that a hung read can be ended.

Why: PyAV's read timeout installs an FFmpeg interrupt callback that takes the GIL on every I/O check,
hundreds of times a second per camera; with 17 reader threads that contention was a large share of
what a recording camera costs. Without it, nothing ends a read that blocks because a camera keeps sending bytes
that never make a packet. Shutting the session's socket down does, from any thread, at no cost while
the stream is healthy: FFmpeg's next read sees the end of the stream.

FFmpeg does not say which socket is a session's: it is the one socket to the camera's address that
appeared while the session opened (see SocketSearch). Where that cannot be known (no /proc, an
address that does not resolve, a redirect, another connection to the camera opened meanwhile)
callers fall back to PyAV's read timeout.
"""

from __future__ import annotations

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
_CONNECTING_STATES = frozenset({_ESTABLISHED, "02"})  # and SYN_SENT: a socket is new from its connect on
_RTSP_PORT = 554
_RTSPS_PORT = 322
_STOP_CHECK_SECONDS = 0.1  # how often a wait for an address's turn looks at its reader's stop
# How often a search looks for a new socket: soon after the open starts, then less and less often.
_FIRST_LOOK_SECONDS = 0.001
_LAST_LOOK_SECONDS = 0.05

_turns_guard = threading.Lock()  # guards both:
_turns: dict[tuple[frozenset[str], int], threading.Lock] = {}
_claimed: set[int] = set()  # sockets a search found, until their session ends (see forget)


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


class SocketSearch:
    """Finds the socket a session's open creates, on a thread of its own while the open runs.

    Opens to one address take turns only until their socket shows up (a TCP connect: milliseconds),
    so that no other reader's socket to that address appears meanwhile; the rest of each open (RTSP's
    exchanges, FFmpeg's probing) runs alongside the others'. Usage: `begin`, open, then `end`.
    """

    def __init__(self, endpoint: Endpoint, name: str) -> None:
        self._endpoint = endpoint
        self._name = name
        with _turns_guard:
            self._turn = _turns.setdefault((endpoint.addresses, endpoint.port), threading.Lock())
        self._holding = False
        self._release_guard = threading.Lock()
        self._opened = threading.Event()
        self._before: set[int] = set()
        self._found: set[int] = set()
        self._thread: threading.Thread | None = None

    def begin(self, timeout: float, stop: threading.Event) -> bool:
        """Wait for this address's turn and start looking; False if given up (after `timeout`, or at `stop`).

        Giving up after a while matters: an open whose connect hangs holds its address's turn.
        """
        deadline = time.monotonic() + timeout
        while not (self._holding or stop.is_set()) and (left := deadline - time.monotonic()) > 0:
            self._holding = self._turn.acquire(timeout=min(left, _STOP_CHECK_SECONDS))
        if not self._holding:
            return False
        self._before = _connections_to(self._endpoint, _CONNECTING_STATES)
        self._thread = threading.Thread(target=self._search, name=f"ngu_doan_reader_search[{self._name}]")
        try:
            self._thread.start()
        except RuntimeError:  # no thread to be had: the turn must not stay taken
            self._thread = None
            self._pass_turn()
            return False
        return True

    def end(self) -> int | None:
        """The open is over (opened or failed): the session's socket, or None if it is not known."""
        self._opened.set()
        if self._thread is not None:
            self._thread.join()
        self._pass_turn()  # (the search has passed it on already, unless it could not start)
        # Still there once the session is open: not an attempt FFmpeg gave up, nor a redirect's.
        if len(self._found) == 1 and self._found <= connected_sockets(self._endpoint):
            return next(iter(self._found))
        forget(*self._found)
        return None

    def _search(self) -> None:
        delay = _FIRST_LOOK_SECONDS
        try:
            while not self._opened.wait(delay):
                if self._look():
                    return
                delay = min(delay * 2, _LAST_LOOK_SECONDS)
            self._look()  # the open is over: one last look
        finally:
            self._pass_turn()

    def _look(self) -> bool:
        """Note this process's sockets to the address that are new since the turn began; True if any."""
        new = _connections_to(self._endpoint, _CONNECTING_STATES) - self._before
        found = new & _own_sockets() if new else set()  # (another program may connect to the camera too)
        if found:
            with _turns_guard:  # claimed before the turn passes: later searches leave them out
                _claimed.update(found)
            self._found = found
        return bool(found)

    def _pass_turn(self) -> None:
        with self._release_guard:
            if self._holding:
                self._holding = False
                self._turn.release()


def forget(*inodes: int) -> None:
    """The sessions of these sockets are over: no longer claimed by them."""
    with _turns_guard:
        _claimed.difference_update(inodes)


def shutdown_unclaimed(endpoint: Endpoint) -> int:
    """Shut down every socket of this process to `endpoint` that no search claimed; how many.

    The last resort of a watchdog whose session did not end when its socket was shut down: another
    connection to the camera came at the very moment the session opened, and was taken for its socket.
    """
    with _turns_guard:
        claimed = set(_claimed)
    return sum(shutdown(inode) for inode in connected_sockets(endpoint) - claimed)


def connected_sockets(endpoint: Endpoint) -> set[int]:
    """Inodes of this process's established TCP sockets to `endpoint`."""
    to_endpoint = _connections_to(endpoint, frozenset({_ESTABLISHED}))
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


def _connections_to(endpoint: Endpoint, states: frozenset[str]) -> set[int]:
    """Inodes of every TCP socket in `states` (of any process in this namespace) to `endpoint`."""
    inodes: set[int] = set()
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        try:
            lines = (_PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:  # no IPv6 here
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] not in states:
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
