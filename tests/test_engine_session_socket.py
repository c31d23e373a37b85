"""Finding an RTSP session's socket through /proc and shutting it down, on real TCP connections."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from custom_components.ngu_doan_cameras.engine import session_socket
from custom_components.ngu_doan_cameras.engine.session_socket import Endpoint


@pytest.fixture
def server(socket_enabled: None) -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield listener


def inode(sock: socket.socket) -> int:
    return os.fstat(sock.fileno()).st_ino


def test_the_new_socket_is_found_and_shutting_it_down_ends_a_read_that_bytes_keep_alive(
    server: socket.socket,
) -> None:
    port = server.getsockname()[1]
    endpoint = session_socket.rtsp_endpoint(f"rtsp://user:secret@127.0.0.1:{port}/cam1")
    assert endpoint == Endpoint(frozenset({"127.0.0.1"}), port)
    before = session_socket.connected_sockets(endpoint)
    with socket.create_connection(("127.0.0.1", port)) as client, server.accept()[0] as camera:
        assert session_socket.connected_sockets(endpoint) - before == {inode(client)}
        # The camera keeps sending a byte at a time; the client waits for a packet that never completes.
        stop = threading.Event()

        def dribble() -> None:
            while not stop.wait(0.02):
                try:
                    camera.send(b"x")
                except OSError:
                    return

        dribbler = threading.Thread(target=dribble)
        dribbler.start()
        try:
            assert client.recv(1) == b"x"  # bytes do arrive
            assert session_socket.shutdown(inode(client))
            while data := client.recv(1):  # what had arrived before the shutdown, then the end
                assert data == b"x"
        finally:
            stop.set()
            dribbler.join()
    assert not session_socket.shutdown(inode(server) + 10**9)  # no such socket (any more): nothing done


def test_the_default_ports() -> None:
    assert session_socket.rtsp_endpoint("rtsp://127.0.0.1/cam1") == Endpoint(frozenset({"127.0.0.1"}), 554)
    assert session_socket.rtsp_endpoint("RTSPS://127.0.0.1/cam1") == Endpoint(frozenset({"127.0.0.1"}), 322)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/snapshot.jpg", "rtsp://no-such-camera.invalid/cam1", "rtsp://127.0.0.1:99999/cam1", "rtsp:///x"],
)
def test_addresses_whose_socket_cannot_be_found(url: str) -> None:
    assert session_socket.rtsp_endpoint(url) is None


def test_without_proc_no_socket_is_looked_for(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Not Linux (or /proc not mounted): readers fall back to PyAV's read timeout.
    monkeypatch.setattr(session_socket, "_PROC", tmp_path)
    assert session_socket.rtsp_endpoint("rtsp://127.0.0.1/cam1") is None


def test_addresses_of_proc_net_tcp() -> None:
    assert session_socket._address("0100007F:1F90", socket.AF_INET) == ("127.0.0.1", 8080)
    assert session_socket._address("00000000000000000000000001000000:0016", socket.AF_INET6) == ("::1", 22)
    # An IPv4 address through an IPv6 socket is the IPv4 address.
    assert session_socket._address("0000000000000000FFFF00000100007F:022A", socket.AF_INET6) == ("127.0.0.1", 554)


def test_a_search_finds_the_socket_its_open_makes(server: socket.socket) -> None:
    endpoint = Endpoint(frozenset({"127.0.0.1"}), server.getsockname()[1])
    never = threading.Event()
    search = session_socket.SocketSearch(endpoint, "cam1")
    assert search.begin(5.0, never)
    with socket.create_connection(server.getsockname()) as client, server.accept()[0]:  # what FFmpeg does
        found = search.end()
        assert found == inode(client)
        # Claimed while its session lasts: a search opening meanwhile cannot take it for its own.
        other = session_socket.SocketSearch(endpoint, "cam2")
        assert other.begin(5.0, never)
        with socket.create_connection(server.getsockname()) as second, server.accept()[0]:
            second_found = other.end()
            assert second_found == inode(second)
        session_socket.forget(found, second_found)


def test_two_new_sockets_in_one_search_are_not_told_apart(server: socket.socket) -> None:
    # Another connection to the camera came at the same moment: neither is taken for the session's.
    endpoint = Endpoint(frozenset({"127.0.0.1"}), server.getsockname()[1])
    search = session_socket.SocketSearch(endpoint, "cam1")
    assert search.begin(5.0, threading.Event())
    with (
        socket.create_connection(server.getsockname()),
        server.accept()[0],
        socket.create_connection(server.getsockname()),
        server.accept()[0],
    ):
        assert search.end() is None


def test_opens_to_one_address_take_turns_until_their_socket_shows_and_waiting_gives_up() -> None:
    endpoint = Endpoint(frozenset({"192.0.2.1"}), 554)  # nothing connects: the turn is held to the end
    never, stopped = threading.Event(), threading.Event()
    stopped.set()
    first = session_socket.SocketSearch(endpoint, "cam1")
    assert first.begin(5.0, never)
    assert not session_socket.SocketSearch(endpoint, "cam2").begin(0.2, never)  # gives up: the old way
    assert not session_socket.SocketSearch(endpoint, "cam3").begin(60.0, stopped)  # stopping: no wait
    elsewhere = session_socket.SocketSearch(Endpoint(frozenset({"192.0.2.2"}), 554), "cam4")
    assert elsewhere.begin(0.2, never)  # another address does not wait
    assert elsewhere.end() is None
    assert first.end() is None  # no socket showed up
    after = session_socket.SocketSearch(endpoint, "cam5")
    assert after.begin(0.2, never)
    assert after.end() is None


def test_the_last_resort_shuts_down_only_connections_no_search_claimed(server: socket.socket) -> None:
    endpoint = Endpoint(frozenset({"127.0.0.1"}), server.getsockname()[1])
    search = session_socket.SocketSearch(endpoint, "cam1")
    assert search.begin(5.0, threading.Event())
    with socket.create_connection(server.getsockname()) as session, server.accept()[0] as camera:
        found = search.end()
        assert found == inode(session)
        with socket.create_connection(server.getsockname()) as unknown, server.accept()[0]:
            assert session_socket.shutdown_unclaimed(endpoint) == 1
            assert unknown.recv(1) == b""  # shut down
            camera.send(b"x")
            assert session.recv(1) == b"x"  # the claimed session's socket still works
        session_socket.forget(found)
