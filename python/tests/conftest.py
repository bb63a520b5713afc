"""drift_server processes on 127.0.0.1:0 for the client tests
($DRIFT_SERVER_BIN; the address comes from the line it prints)."""
import os
import subprocess
import tempfile
import time

import pytest

import drift_client

LISTENING = "drift_server listening on "


class ServerProcess:
    """A primary with its database in a temporary directory, or with
    db=False a server without one (a router: extra_args name its shards)."""

    def __init__(self, extra_args=(), db=True):
        self.dir = tempfile.TemporaryDirectory(prefix="drift_py_client_")
        db_args = [f"--db={self.dir.name}/db"] if db else []
        self.proc = subprocess.Popen(
            [os.environ["DRIFT_SERVER_BIN"], *db_args,
             "--listen=127.0.0.1:0", *extra_args],
            stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        self.address = None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break  # exited
            if line.startswith(LISTENING):
                self.address = line[len(LISTENING):].strip()
                return
        self.stop()
        raise RuntimeError("drift_server printed no address line")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()
        self.dir.cleanup()


@pytest.fixture(scope="module")
def server():
    s = ServerProcess()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def client(server):
    """A client of the module's primary."""
    with drift_client.Client(server.address) as c:
        yield c
