"""What the tests that build Debian machines share: the cache, the mirror, debootstrap, a
copy of this checkout, and a lock so that one such test runs per host at a time."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("HTM_NSPAWN_CACHE", "/var/cache/household-task-manager"))
# Files of a checkout that are the owner's own, never copied into a test's checkout.
PRIVATE_FILES = frozenset({"inventory/hosts.yml", "inventory/group_vars/all/vault.yml"})


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def debian_mirror() -> str:
    """The Debian mirror apt uses on this machine (debootstrap must use the same one)."""
    candidates = [Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*")]
    for path in candidates:
        if not path.is_file():
            continue
        for line in path.read_text().splitlines():
            words = line.split()
            if words[:1] == ["URIs:"] or words[:1] == ["deb"]:
                for word in words[1:]:
                    if word.startswith("http") and word.rstrip("/").endswith("/debian"):
                        return word
    return "http://deb.debian.org/debian"


def cached_build(name: str, key_parts: list[str], build: Callable[[Path], None]) -> Path:
    """CACHE/<name>-<key>, built once by build(partial directory) under a lock."""
    key = hashlib.sha256("|".join(key_parts).encode()).hexdigest()[:12]
    target = CACHE / f"{name}-{key}"
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / ".complete").exists():
            partial = CACHE / f".{target.name}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir()
            started = time.monotonic()
            build(partial)
            (partial / ".complete").write_text(f"built in {time.monotonic() - started:.0f}s\n")
            shutil.rmtree(target, ignore_errors=True)
            partial.rename(target)
    return target


def debootstrap(rootfs: Path, suite: str, packages: list[str]) -> None:
    run(
        [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(packages)}",
            suite,
            str(rootfs),
            debian_mirror(),
        ],
        timeout=900,
    )


def checkout_files() -> list[str]:
    """The repository's files as a fresh clone plus uncommitted work has them, without the
    owner's own inventory files."""
    listed = run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPO
    ).stdout.split("\0")
    return [
        name for name in listed if name and name not in PRIVATE_FILES and (REPO / name).exists()
    ]


def copy_checkout(target: Path) -> None:
    """This checkout's files into target, mtimes kept."""
    for name in checkout_files():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, destination)


@contextlib.contextmanager
def exclusive_machines(timeout: float = 900) -> Iterator[None]:
    """One machine-building test per host at a time: network names and ports are fixed."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / ".machines.lock").open("w") as lock:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise AssertionError("another test run kept the machines") from None
                time.sleep(2)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
