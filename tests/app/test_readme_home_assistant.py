"""The README's Home Assistant example, taken literally: its sensor's request and template, and
its command's request, run against the app with a real token."""

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.app.chore_helpers import make_chore
from tests.support.people import Person

README = Path(__file__).resolve().parents[2] / "README.md"


def example(token: str) -> dict[str, Any]:
    text = README.read_text()
    section = text[text.index("### API tokens: scripts and Home Assistant") :]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block is not None
    loader = type("SecretLoader", (yaml.SafeLoader,), {})
    # Home Assistant's !secret: the README's secrets.yaml holds "Bearer <token>".
    loader.add_constructor("!secret", lambda _loader, _node: f"Bearer {token}")
    config: dict[str, Any] = yaml.load(block.group(1), Loader=loader)  # noqa: S506 (SafeLoader)
    return config


def in_household(url: str, household_id: int) -> str:
    """The example's URL, on this test's household instead of household 1."""
    return (
        urlsplit(url)
        ._replace(scheme="", netloc="")
        .geturl()
        .replace("/households/1/", f"/households/{household_id}/")
    )


def test_the_readme_sensor_and_command_work_as_written(
    app: FastAPI, home: tuple[int, dict[str, Person]]
) -> None:
    household_id, people = home
    member = people["member"]
    chore = make_chore(people["admin"], household_id)
    token = member.ok(
        "POST", f"/api/households/{household_id}/tokens", 201, json={"name": "HA", "scope": "write"}
    )["token"]
    config = example(token)
    home_assistant = TestClient(app)  # no cookie, no CSRF header: what Home Assistant sends

    rest = config["rest"][0]
    response = home_assistant.get(
        in_household(rest["resource"], household_id), headers=rest["headers"]
    )
    assert response.status_code == 200, response.text
    template = jinja2.Environment(autoescape=True).from_string(rest["sensor"][0]["value_template"])
    assert template.render(value_json=response.json()) == "1"

    command = config["rest_command"]["household_chore_done"]
    url = (
        jinja2.Environment(autoescape=True).from_string(command["url"]).render(chore_id=chore["id"])
    )
    done = home_assistant.request(
        command["method"].upper(), in_household(url, household_id), headers=command["headers"]
    )
    assert (done.status_code, done.json()["chore_id"]) == (201, chore["id"])
    after = home_assistant.get(
        in_household(rest["resource"], household_id), headers=rest["headers"]
    )
    assert template.render(value_json=after.json()) == "0"
