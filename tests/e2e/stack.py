"""Pieces of the end-to-end stack: paths, the nginx template rendering, process helpers."""

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FRONTEND = REPO / "frontend"
DIST = FRONTEND / "dist"
TEMPLATE = FRONTEND / "nginx.conf"
SCREENSHOTS = REPO / "var" / "screenshots"
NGINX = Path("/usr/sbin/nginx")
CHROMIUM = Path("/usr/bin/chromium")
IMAGE_ROOT = "root /usr/share/nginx/html;"
IMAGE_TEMP = "/var/cache/nginx/"
IMAGE_ACCESS_LOG = "/var/log/nginx/access.log"
IMAGE_STATUS_LISTEN = "listen 127.0.0.1:8081;"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def render_template(template: str, values: dict[str, str]) -> str:
    """envsubst restricted to the given names, as the nginx image does: only `${NAME}` of those
    names is replaced, so nginx's own `$host`, `$uri`, ... survive."""
    for name, value in values.items():
        template = template.replace("${" + name + "}", value)
    return template


def render_site(directory: Path, port: int, backend: str, root: Path, status_port: int) -> Path:
    """The server template rendered for this machine, inside a minimal main configuration."""
    server = render_template(
        TEMPLATE.read_text(), {"NGINX_PORT": str(port), "BACKEND_ADDRESS": backend}
    )
    assert IMAGE_ROOT in server
    assert IMAGE_TEMP in server
    server = server.replace(IMAGE_ROOT, f"root {root};").replace(IMAGE_TEMP, f"{directory}/cache/")
    assert IMAGE_ACCESS_LOG in server
    server = server.replace(IMAGE_ACCESS_LOG, f"{directory}/access.log")
    # The counters' port is fixed in the pod; here a free one, beside other tests' nginx.
    assert IMAGE_STATUS_LISTEN in server
    server = server.replace(IMAGE_STATUS_LISTEN, f"listen 127.0.0.1:{status_port};")
    # Loopback only on the test machine.
    server = server.replace(f"listen {port};", f"listen 127.0.0.1:{port};")
    (directory / "conf.d").mkdir()
    (directory / "conf.d" / "default.conf").write_text(server)
    main = directory / "nginx.conf"
    main.write_text(
        f"""worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {directory}/access.log;
    sendfile on;
    include {directory}/conf.d/*.conf;
}}
"""
    )
    return main


@dataclass(frozen=True)
class Site:
    url: str
    backend_url: str
    access_log: Path
    status_url: str
