"""Label Studio as a production server: its settings, its migrations, its accounts and gunicorn itself.

Owns every process run in Label Studio's environment: ``manage.py migrate``, the provisioning script
(``bench.peer.provision``) and gunicorn, which serves Label Studio's Django WSGI application on a free
loopback port over plain HTTP with DEBUG off. Label Studio reaches PostgreSQL through libpq with
``verify-full`` TLS against the stack's CA. Must never leave a process behind: gunicorn runs in its own
process group, and ``stop`` ends the whole group. Its output goes to log files in the run's directory.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from tests.support.api_process import free_port

from bench.peer.database import Database
from bench.peer.install import Installation
from bench.processes import children

#: Two cores here: one worker per core, threads for requests that wait on PostgreSQL.
WORKERS = 2
THREADS = 4
#: A request may take this long before gunicorn restarts its worker (a whole project's export is one).
WORKER_TIMEOUT_S = 600
START_TIMEOUT_S = 120
STOP_TIMEOUT_S = 30
MIGRATE_TIMEOUT_S = 900
PROVISION_TIMEOUT_S = 300
PROVISION_SCRIPT = Path(__file__).resolve().parent / "provision.py"


class LabelStudioError(RuntimeError):
    """Label Studio did not install, migrate, provision or start; the message names its log."""


def label_studio_env(database: Database, data_dir: Path) -> dict[str, str]:
    """The environment of every Label Studio process: production settings, PostgreSQL over verified TLS,
    nothing sent anywhere (no version check, analytics or error reporting)."""
    inherited = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}}
    return inherited | {
        "DJANGO_SETTINGS_MODULE": "core.settings.label_studio",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "DJANGO_DB": "default",
        "POSTGRE_HOST": database.host,
        "POSTGRE_PORT": str(database.port),
        "POSTGRE_NAME": database.name,
        "POSTGRE_USER": database.user,
        "POSTGRE_PASSWORD": database.password,
        # psycopg hands these to libpq: TLS, the server's certificate checked against the stack's CA.
        "PGSSLMODE": "verify-full",
        "PGSSLROOTCERT": database.ca_file,
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "PYTHONUNBUFFERED": "1",
    }


async def _run(command: list[str], cwd: Path, env: dict[str, str], log: Path, time_limit: float) -> None:
    """Runs ``command`` to the end, its output appended to ``log``; raises if it fails."""
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(*command, cwd=cwd, env=env, stdout=out, stderr=out)
        try:
            code = await asyncio.wait_for(process.wait(), time_limit)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise LabelStudioError(f"{command[1]} took over {time_limit:.0f} s; see {log}") from None
    if code != 0:
        raise LabelStudioError(f"{' '.join(command[1:])} failed ({code}); see {log}")


async def migrate(installation: Installation, env: dict[str, str], log: Path) -> None:
    """Label Studio's own migrations, on its empty database."""
    command = [str(installation.python), "manage.py", "migrate", "--noinput"]
    await _run(command, installation.package_dir, env, log, MIGRATE_TIMEOUT_S)


@dataclass(frozen=True)
class Tokens:
    """Legacy API tokens: the owner's (project, import, list, export) and one per annotator."""

    owner: str
    annotators: list[str]


async def provision(
    installation: Installation,
    env: dict[str, str],
    annotators: int,
    private_dir: Path,
    log: Path,
    prefix: str = "",
) -> Tokens:
    """The organization and its users (``bench.peer.provision``, run by Label Studio's interpreter).
    The tokens pass through a file in ``private_dir`` (Label Studio's data directory, mode 0700)."""
    tokens_file = private_dir / "tokens.json"
    tokens_file.unlink(missing_ok=True)
    script_env = env | {
        "BENCH_ANNOTATORS": str(annotators),
        "BENCH_TOKENS_FILE": str(tokens_file),
        "BENCH_PREFIX": prefix,
    }
    command = [str(installation.python), str(PROVISION_SCRIPT)]
    await _run(command, installation.package_dir, script_env, log, PROVISION_TIMEOUT_S)
    document = json.loads(tokens_file.read_text())
    tokens_file.unlink()
    return Tokens(owner=document["owner"], annotators=list(document["annotators"]))


@dataclass
class Gunicorn:
    """A running gunicorn serving Label Studio; ``url`` is plain HTTP on loopback."""

    process: asyncio.subprocess.Process
    url: str
    command: list[str]
    log: Path
    workers: int
    _stopped: bool = field(default=False)

    def pids(self) -> list[int]:
        """The master and its workers (its children, found through /proc)."""
        master = self.process.pid
        return [master, *children(master)]

    async def stop(self) -> None:
        """SIGTERM to the process group (gunicorn's graceful stop), SIGKILL if it outlasts the timeout."""
        if self._stopped:
            return
        self._stopped = True
        if self.process.returncode is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                os.killpg(self.process.pid, signal.SIGKILL)
                await self.process.wait()


def gunicorn_command(installation: Installation, port: int, workers: int) -> list[str]:
    return [
        str(installation.gunicorn),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(THREADS),
        "--timeout",
        str(WORKER_TIMEOUT_S),
        "--graceful-timeout",
        str(STOP_TIMEOUT_S),
        "core.wsgi:application",
    ]


async def start_gunicorn(
    installation: Installation, env: dict[str, str], log: Path, workers: int = WORKERS
) -> Gunicorn:
    """gunicorn in its own process group; returns once Label Studio answers ``/health``."""
    port = free_port()
    command = gunicorn_command(installation, port, workers)
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=installation.package_dir,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    server = Gunicorn(process, f"http://127.0.0.1:{port}", command, log, workers)
    try:
        await _wait_until_up(server)
    except BaseException:
        await server.stop()
        raise
    return server


async def _wait_until_up(server: Gunicorn) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        while True:
            try:
                if (await client.get("/health/")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if server.process.returncode is not None or time.monotonic() > deadline:
                tail = server.log.read_text(errors="replace")[-2000:]
                raise LabelStudioError(f"Label Studio did not start; see {server.log}:\n{tail}")
            await asyncio.sleep(0.3)
