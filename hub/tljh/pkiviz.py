# The Littlest JupyterHub: the book for a course on one host. Copy this file to
# /opt/tljh/config/jupyterhub_config.d/pkiviz.py, then `sudo tljh-config reload hub`.
# docs/classroom.md has the whole procedure (installing pkiviz and openssl/curl first).
c = get_config()  # type: ignore[name-defined]  # noqa: F821

# Open the book's folder (its chapters in order); nbgitpuller links (docs/classroom.md)
# give each student a copy.
c.Spawner.default_url = "/lab/tree/pkiviz/book"

# Each student's server gets a private /tmp (systemd PrivateTmp): the chapters' temporary
# directories and key files are invisible to other students and removed when the server stops.
c.SystemdSpawner.isolate_tmp = True
# A private /dev and no way to gain privileges, as TLJH's defaults; no shared loopback ports
# are needed: every server a chapter starts binds port 0 on 127.0.0.1.
c.SystemdSpawner.isolate_devices = True
c.SystemdSpawner.disable_user_sudo = True
