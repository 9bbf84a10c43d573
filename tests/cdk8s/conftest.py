"""Synthesizes every environment once per session (importing cdk8s-plus costs seconds)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from gitops_support import Synthesized, load_cdk8s_main, read_tree
from household.config import (
    EnvironmentConfig,
    IngressController,
    NotificationSettings,
    environment_names,
    load_environment,
)

from tests.support.databases import local_postgres


@pytest.fixture(scope="session")
def cdk8s_main() -> ModuleType:
    return load_cdk8s_main()


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory, cdk8s_main: ModuleType) -> Path:
    """What `make synth` writes, written to a temporary gitops/ (same code path)."""
    out = tmp_path_factory.mktemp("gitops")
    assert cdk8s_main.main(["--outdir", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def synthesized(synth_dir: Path) -> dict[str, Synthesized]:
    return {
        name: Synthesized(load_environment(name), read_tree(synth_dir / name))
        for name in environment_names()
    }


@pytest.fixture(scope="session")
def production(synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized["production"]


@pytest.fixture(scope="session")
def staging(synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized["staging"]


def _built(cdk8s_main: ModuleType, config: EnvironmentConfig) -> Synthesized:
    """A variant of production's settings, built in memory with its committed sealed values."""
    sealed = cdk8s_main.load_sealed_values(
        config.sealed_values_path, config.namespace, "production"
    )
    charts = cdk8s_main.build(config, sealed)
    return Synthesized(config, {f"{c.node.id}.yaml": list(c.to_json()) for c in charts})


@pytest.fixture(scope="session")
def ingress_nginx(cdk8s_main: ModuleType) -> Synthesized:
    """Production with the other ingress controller setting (built in memory)."""
    base = load_environment("production")
    return _built(
        cdk8s_main,
        base.model_copy(
            update={
                "ingress": base.ingress.model_copy(
                    update={"controller": IngressController.INGRESS_NGINX}
                )
            }
        ),
    )


# Receivers at home: Home Assistant, and a local ntfy on a small subnet.
HOME_DESTINATIONS = [
    {"cidr": "192.168.1.10/32", "port": 8123},
    {"cidr": "10.0.5.0/30", "port": 8080},
]


@pytest.fixture(scope="session")
def home_receivers(cdk8s_main: ModuleType) -> Synthesized:
    """Production whose notifications may also reach receivers on the home network."""
    base = load_environment("production")
    notifications = NotificationSettings.model_validate({"home_destinations": HOME_DESTINATIONS})
    return _built(cdk8s_main, base.model_copy(update={"notifications": notifications}))


@pytest.fixture(scope="session")
def every_variant(
    synthesized: dict[str, Synthesized], ingress_nginx: Synthesized, home_receivers: Synthesized
) -> dict[str, Synthesized]:
    return {
        **synthesized,
        "production-ingress-nginx": ingress_nginx,
        "production-home-receivers": home_receivers,
    }


@pytest.fixture(scope="session")
def pg16_server_url() -> Iterator[str]:
    """A throw-away PostgreSQL 16 for the backup tests; its own, so that these tests do not
    depend on other parts' fixtures."""
    with local_postgres(prefix="htm-cdk8s-pg-") as server:
        yield server.admin_url
