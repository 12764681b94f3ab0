"""DynamoDB Local (the real engine, AWS's Java jar) for development and tests, with a moto fallback.

Where the jar comes from: the npm package ``amplify-dynamodb-simulator`` ships AWS's DynamoDB Local
distribution unchanged (``package/emulator/DynamoDBLocal.jar`` and ``package/emulator/DynamoDBLocal_lib/``
with the sqlite4java native libraries for Linux x86_64/aarch64, macOS and Windows). ``npm pack`` fetches
it from the npm registry (integrity-checked by npm, and kept in npm's own cache too); it is extracted
once into ``.local/cache/`` (override: ``DYNAMODB_LOCAL_CACHE_DIR``), so later starts take only the JVM
start-up (about 2 s). Version pinned below (override: ``DYNAMODB_LOCAL_NPM_VERSION``); 2.9.30 carries
DynamoDB Local 1.25.1.

Binding: DynamoDB Local 1.25.1 has no option to choose the listening address (``-help`` lists only
``-port``, ``-inMemory``, ``-dbPath``, ``-sharedDb``, ``-cors``, ``-delayTransientStatuses``,
``-disableTelemetry``, ``-optimizeDbBeforeStartup``, ``-version``), and its Jetty server listens on all
interfaces. Everything here *connects* to it through 127.0.0.1 only.

Use:

    with DynamoDBLocal(port=free_port(), in_memory=True) as ddb:
        boto3.client("dynamodb", endpoint_url=ddb.endpoint_url, ...)

    engine = start_local_dynamodb(8000, data_dir=DEFAULT_DATA_DIR)  # falls back to moto, loudly
    ...
    engine.stop()

CLI (runs until Ctrl-C)::

    python -m infra.local.dynamodb_local --port 8000 [--in-memory] [--create-tables] [--fetch-only]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import http.client
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from infra.local.template import LOCAL_REGION, REPO_ROOT

NPM_PACKAGE = "amplify-dynamodb-simulator"
NPM_VERSION = os.environ.get("DYNAMODB_LOCAL_NPM_VERSION", "2.9.30")
CACHE_DIR = Path(os.environ.get("DYNAMODB_LOCAL_CACHE_DIR", REPO_ROOT / ".local" / "cache"))
DEFAULT_DATA_DIR = REPO_ROOT / ".local" / "dynamodb"
DEFAULT_PORT = 8000
LOCALHOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 60.0
NPM_TIMEOUT_S = 600.0
_COMPLETE_MARKER = ".complete"


class DynamoDBLocalUnavailable(RuntimeError):
    """DynamoDB Local cannot be run here (no java, no npm, or the package could not be fetched)."""


class DynamoDBLocalStartError(RuntimeError):
    """DynamoDB Local was started but did not answer (or exited)."""


# --------------------------------------------------------------------------------------------------
# Fetching the distribution
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    jar: Path
    lib_dir: Path
    npm_version: str

    @property
    def home(self) -> Path:
        return self.jar.parent


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (pytest-xdist workers fetch at the same time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _find_distribution(root: Path, version: str) -> Distribution:
    jars = sorted(root.rglob("DynamoDBLocal.jar"))
    if not jars:
        raise DynamoDBLocalUnavailable(f"{NPM_PACKAGE}@{version} has no DynamoDBLocal.jar under {root}")
    jar = jars[0]
    lib_dir = jar.parent / "DynamoDBLocal_lib"
    if not lib_dir.is_dir():
        raise DynamoDBLocalUnavailable(f"{NPM_PACKAGE}@{version}: no DynamoDBLocal_lib beside {jar}")
    return Distribution(jar=jar, lib_dir=lib_dir, npm_version=version)


def ensure_distribution(cache_dir: Path = CACHE_DIR, version: str = NPM_VERSION) -> Distribution:
    """Return the cached DynamoDB Local distribution, fetching it with ``npm pack`` the first time."""
    target = cache_dir / f"{NPM_PACKAGE}-{version}"
    if (target / _COMPLETE_MARKER).exists():
        return _find_distribution(target, version)
    with _file_lock(cache_dir / ".lock"):
        if (target / _COMPLETE_MARKER).exists():
            return _find_distribution(target, version)
        npm = shutil.which("npm")
        if npm is None:
            raise DynamoDBLocalUnavailable("npm is not installed; it is needed once to fetch DynamoDB Local")
        with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".fetch-") as tmp:
            work = Path(tmp)
            print(
                f"Fetching DynamoDB Local: npm pack {NPM_PACKAGE}@{version} ...", file=sys.stderr, flush=True
            )
            try:
                result = subprocess.run(
                    [npm, "pack", f"{NPM_PACKAGE}@{version}", "--prefer-offline", "--silent"],
                    cwd=work,
                    capture_output=True,
                    text=True,
                    timeout=NPM_TIMEOUT_S,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise DynamoDBLocalUnavailable(f"npm pack timed out after {NPM_TIMEOUT_S:.0f}s") from exc
            tarballs = sorted(work.glob("*.tgz"))
            if result.returncode != 0 or not tarballs:
                raise DynamoDBLocalUnavailable(
                    f"npm pack {NPM_PACKAGE}@{version} failed (exit {result.returncode}): "
                    f"{(result.stderr or result.stdout).strip()[-2000:]}"
                )
            extracted = work / "extracted"
            with tarfile.open(tarballs[0]) as archive:
                archive.extractall(extracted, filter="data")
            _find_distribution(extracted, version)  # validate before publishing
            if target.exists():
                shutil.rmtree(target)
            extracted.rename(target)
            (target / _COMPLETE_MARKER).write_text(f"{NPM_PACKAGE}@{version}\n")
        return _find_distribution(target, version)


def java_executable() -> str | None:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    return shutil.which("java")


# --------------------------------------------------------------------------------------------------
# Ports and readiness
# --------------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port that is free right now (on all interfaces, as DynamoDB Local binds all of them)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = LOCALHOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def dynamodb_client(endpoint_url: str, *, timeout_s: float = 10.0, retries: int = 2) -> Any:
    """A low-level DynamoDB client for a local endpoint (dummy credentials if the shell has none)."""
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name=os.environ.get("AWS_DEFAULT_REGION", LOCAL_REGION),
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "local"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
        config=Config(
            connect_timeout=timeout_s,
            read_timeout=timeout_s,
            retries={"max_attempts": retries, "mode": "standard"},
        ),
    )


def answers(endpoint_url: str, timeout_s: float = 2.0) -> bool:
    """True if a DynamoDB API answers ListTables at ``endpoint_url`` (with DynamoDB's ``TableNames``).

    Any HTTP server answering 200 would otherwise pass: botocore reads a non-JSON body as an empty result.
    """
    try:
        result = dynamodb_client(endpoint_url, timeout_s=timeout_s, retries=0).list_tables(Limit=1)
    except (BotoCoreError, ClientError):
        return False
    return isinstance(result.get("TableNames"), list)


def describe_service(endpoint_url: str, timeout_s: float = 2.0) -> str:
    """What answers a DynamoDB ListTables call at ``endpoint_url`` (status and headers), for messages."""
    parts = urlsplit(endpoint_url)
    connection = http.client.HTTPConnection(parts.hostname or LOCALHOST, parts.port or 80, timeout=timeout_s)
    try:
        connection.request(
            "POST",
            "/",
            body=b"{}",
            headers={
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": "DynamoDB_20120810.ListTables",
            },
        )
        response = connection.getresponse()
        body = response.read(200).decode("utf-8", "replace").strip().replace("\n", " ")
    except (OSError, http.client.HTTPException) as exc:
        return f"no HTTP answer ({type(exc).__name__}: {exc})"
    finally:
        connection.close()
    server = response.getheader("Server") or "no Server header"
    content_type = response.getheader("Content-Type") or "no Content-Type"
    return f"HTTP {response.status}, {server}, {content_type}: {body[:80]!r}"


def wait_until_ready(
    endpoint_url: str,
    timeout_s: float = STARTUP_TIMEOUT_S,
    process: subprocess.Popen[bytes] | None = None,
    describe_failure: Any = None,
) -> None:
    """Poll ListTables until it answers; raise :class:`DynamoDBLocalStartError` on timeout or exit."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process is not None and process.poll() is not None:
            detail = describe_failure() if describe_failure else ""
            raise DynamoDBLocalStartError(
                f"DynamoDB Local exited with code {process.returncode} before answering at {endpoint_url}"
                f"{detail}"
            )
        if answers(endpoint_url, timeout_s=1.0):
            return
        if time.monotonic() > deadline:
            detail = describe_failure() if describe_failure else ""
            raise DynamoDBLocalStartError(
                f"DynamoDB Local did not answer ListTables at {endpoint_url} within {timeout_s:.0f}s{detail}"
            )
        time.sleep(0.1)


# --------------------------------------------------------------------------------------------------
# Engines
# --------------------------------------------------------------------------------------------------


class LocalDynamoDB(Protocol):
    """A running local DynamoDB engine."""

    engine: str  # "dynamodb-local" or "moto"

    @property
    def endpoint_url(self) -> str: ...

    def describe(self) -> str: ...

    def stop(self) -> None: ...


def _set_parent_death_signal() -> None:  # runs in the child between fork and exec
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class DynamoDBLocal:
    """One DynamoDB Local process (``-sharedDb``), in memory or with its data under ``data_dir``."""

    engine = "dynamodb-local"

    def __init__(
        self,
        port: int | None = None,
        *,
        in_memory: bool = False,
        data_dir: Path | str = DEFAULT_DATA_DIR,
        startup_timeout_s: float = STARTUP_TIMEOUT_S,
        cache_dir: Path = CACHE_DIR,
        java_options: tuple[str, ...] = (),
    ) -> None:
        self.port = port if port is not None else free_port()
        self.in_memory = in_memory
        self.data_dir = Path(data_dir).resolve()
        self.startup_timeout_s = startup_timeout_s
        self.cache_dir = cache_dir
        self.java_options = java_options
        self.distribution: Distribution | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None
        self._log_file: IO[bytes] | None = None
        self._temp_log = False

    @property
    def endpoint_url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    def describe(self) -> str:
        version = self.distribution.npm_version if self.distribution else "?"
        where = "in memory (-inMemory)" if self.in_memory else f"data in {self.data_dir}"
        return (
            f"DynamoDB Local ({NPM_PACKAGE}@{version}) at {self.endpoint_url}, {where}, log {self.log_path}"
        )

    def command(self) -> list[str]:
        if self.distribution is None:
            raise RuntimeError("distribution not fetched yet")
        java = java_executable()
        if java is None:
            raise DynamoDBLocalUnavailable("java is not installed (DynamoDB Local is a Java program)")
        command = [
            java,
            *self.java_options,
            f"-Djava.library.path={self.distribution.lib_dir}",
            "-jar",
            str(self.distribution.jar),
            "-port",
            str(self.port),
            "-sharedDb",
            "-disableTelemetry",
        ]
        if self.in_memory:
            command.append("-inMemory")
        else:
            command += ["-dbPath", str(self.data_dir)]
        return command

    def start(self) -> DynamoDBLocal:
        if self.process is not None:
            return self
        if java_executable() is None:
            raise DynamoDBLocalUnavailable("java is not installed (DynamoDB Local is a Java program)")
        self.distribution = ensure_distribution(self.cache_dir)
        if port_in_use(self.port):
            raise DynamoDBLocalStartError(
                f"port {self.port} is already in use; choose another port"
                + (" (is DynamoDB Local or `make run` already running?)" if self.port == DEFAULT_PORT else "")
            )
        if self.in_memory:
            handle, name = tempfile.mkstemp(prefix="dynamodb-local-", suffix=".log")
            os.close(handle)
            self.log_path, self._temp_log = Path(name), True
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.log_path = self.data_dir / "dynamodb-local.log"
        self._log_file = self.log_path.open("wb")
        # The child dies with us if this process is killed (only safe from the main thread: the
        # signal fires when the *thread* that forked exits).
        in_main_thread = threading.current_thread() is threading.main_thread()
        self.process = subprocess.Popen(
            self.command(),
            cwd=self.distribution.home,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in a terminal reaches us, and we stop it cleanly
            preexec_fn=_set_parent_death_signal if in_main_thread and sys.platform == "linux" else None,
        )
        try:
            wait_until_ready(self.endpoint_url, self.startup_timeout_s, self.process, self._log_tail)
        except BaseException:
            self.stop()
            raise
        return self

    def _log_tail(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        lines = self.log_path.read_text(errors="replace").splitlines()[-30:]
        return "\n--- DynamoDB Local output ---\n" + "\n".join(lines) if lines else ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self._temp_log and self.log_path is not None:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> DynamoDBLocal:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class MotoDynamoDB:
    """moto's server (in memory, all services) on 127.0.0.1: the fallback when Java is missing."""

    engine = "moto"

    def __init__(self, port: int | None = None) -> None:
        self.port = port if port is not None else free_port()
        self._server: Any = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    def describe(self) -> str:
        return f"moto server (in memory, NOT DynamoDB Local) at {self.endpoint_url}"

    def start(self) -> MotoDynamoDB:
        try:
            from moto.server import ThreadedMotoServer
        except ImportError:  # the serving install (make run) has no development tools
            raise DynamoDBLocalStartError(
                "no Java for DynamoDB Local, and moto (its fallback) is not installed: install Java 17+ "
                "or the development tools (make venv)"
            ) from None

        if port_in_use(self.port):
            raise DynamoDBLocalStartError(f"port {self.port} is already in use; choose another port")
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per DynamoDB call
        self._server = ThreadedMotoServer(ip_address=LOCALHOST, port=self.port, verbose=False)
        self._server.start()
        wait_until_ready(self.endpoint_url, timeout_s=30)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> MotoDynamoDB:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


MOTO_WARNING = """\
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!! WARNING: DynamoDB Local is not available: {reason}
!! Falling back to moto's in-memory server. moto is NOT the real engine (transactions, conditions
!! and limits differ) and nothing is kept after exit. Install Java (e.g. `apt-get install
!! openjdk-17-jre-headless`) and npm to use DynamoDB Local.
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"""


def start_local_dynamodb(
    port: int | None = None,
    *,
    in_memory: bool = False,
    data_dir: Path | str = DEFAULT_DATA_DIR,
    allow_moto_fallback: bool = True,
    force_moto: bool = False,
) -> LocalDynamoDB:
    """Start DynamoDB Local; if it is unavailable (no java/npm, fetch failed), start moto and warn loudly.

    A DynamoDB Local that starts but does not answer is an error, not a reason to fall back.
    """
    if not force_moto:
        try:
            return DynamoDBLocal(port, in_memory=in_memory, data_dir=data_dir).start()
        except DynamoDBLocalUnavailable as exc:
            if not allow_moto_fallback:
                raise
            print(MOTO_WARNING.format(reason=exc), file=sys.stderr, flush=True)
    return MotoDynamoDB(port).start()


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.local.dynamodb_local", description="Run DynamoDB Local until Ctrl-C."
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("DYNAMODB_PORT", DEFAULT_PORT)))
    parser.add_argument("--in-memory", action="store_true", help="keep nothing on disk (-inMemory)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="default: .local/dynamodb")
    parser.add_argument("--create-tables", action="store_true", help="create the tables of template.yaml")
    parser.add_argument("--template", type=Path, default=None, help="default: template.yaml")
    parser.add_argument("--fetch-only", action="store_true", help="only fetch the jar into the cache")
    args = parser.parse_args(argv)

    if args.fetch_only:
        distribution = ensure_distribution()
        print(f"DynamoDB Local: {distribution.jar}")
        return 0
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        engine = DynamoDBLocal(args.port, in_memory=args.in_memory, data_dir=args.data_dir).start()
    except (DynamoDBLocalUnavailable, DynamoDBLocalStartError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        print(engine.describe(), flush=True)
        if args.create_tables:
            from infra.local.create_tables import create_tables
            from infra.local.template import DEFAULT_TEMPLATE, Template

            create_tables(engine.endpoint_url, Template.load(args.template or DEFAULT_TEMPLATE))
        print("Ctrl-C to stop.", flush=True)
        while engine.process is not None and engine.process.poll() is None:
            time.sleep(0.5)
        print("DynamoDB Local exited.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        engine.stop()


if __name__ == "__main__":
    sys.exit(main())
