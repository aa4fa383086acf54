"""Label Studio, the peer the head-to-head benchmark compares Enclave with, run on this machine.

Start it with ``start_label_studio`` and use it as a ``bench.platform.Platform``::

    label_studio = await start_label_studio(stack.env, work_dir, log=console.log)
    async with label_studio:
        await label_studio.prepare(annotators=16)
        ...

``start_label_studio`` installs the pinned release into its own virtual environment under
``$ENCLAVE_CACHE/labelstudio/<version>/venv`` (the first run only), makes it a new database and role in
the stack's PostgreSQL (TLS verified), applies its migrations and starts gunicorn on a free loopback
port; closing stops gunicorn's process group, drops the database and removes the data directory.
Modules: ``install`` (pins, virtual environment), ``database`` (database and role), ``server``
(environment, migrations, accounts, gunicorn), ``provision`` (run by Label Studio's interpreter: the
organization, its users and their tokens), ``client`` (the ``Platform`` over Label Studio's REST API).
"""

from bench.peer.client import LabelStudio, start_label_studio
from bench.peer.install import GUNICORN_VERSION, LABEL_STUDIO_VERSION

__all__ = ["GUNICORN_VERSION", "LABEL_STUDIO_VERSION", "LabelStudio", "start_label_studio"]
