"""Two people share a household in a real browser, through nginx: sign up, invite, a weekly
rotating chore, done on a phone with undo, then history and stats on both sides, in Japanese and
English without a missing translation. Writes a phone-size screenshot of every main screen."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect

from tests.e2e.stack import Site

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
MISSING_KEY = "i18n: missing key"
# A catalog key shown instead of its text: "today.title", "errors.not_found", ...
RAW_KEY = re.compile(
    r"\b(?:app|common|nav|auth|account|household|invite|settings|today|chores|recurrence|"
    r"assignment|calendar|history|stats|range|errors|roles|languages)\.[a-z_]+[A-Za-z_.]*\b"
)


class Person:
    """One browser context (cookie jar) with the console watched for missing translations."""

    def __init__(self, context: BrowserContext, site: Site) -> None:
        self.context = context
        self.page: Page = context.new_page()
        self.site = site
        self.console_problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console_problems.append(str(error)))

    def _console(self, message: ConsoleMessage) -> None:
        if MISSING_KEY in message.text or (message.type == "error" and "401" not in message.text):
            self.console_problems.append(message.text)

    def go(self, path: str) -> None:
        self.page.goto(self.site.url + path)

    def assert_no_raw_keys(self) -> None:
        text = self.page.locator("body").inner_text()
        assert not RAW_KEY.findall(text), text


@pytest.fixture
def people(browser: Any, site: Site) -> Iterator[dict[str, Person]]:
    common = {"timezone_id": "Asia/Tokyo", "base_url": site.url}
    alice = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 800}, **common)
    bob = browser.new_context(locale="en-US", **PHONE, **common)
    yield {"alice": Person(alice, site), "bob": Person(bob, site)}
    alice.close()
    bob.close()


def shoot(person: Person, screenshots: Path, name: str, settled: bool = True) -> None:
    """A phone-size screenshot once the screen has its data (`settled`; not when offline)."""
    if settled:
        person.page.wait_for_load_state("networkidle")
        loading = person.page.get_by_role("status").filter(
            has_text=re.compile("Loading|読み込み中")
        )
        expect(loading).to_have_count(0)
    person.assert_no_raw_keys()
    person.page.screenshot(path=str(screenshots / f"{name}.png"))


def sign_up(person: Person, name: str, email: str, button: str) -> None:
    page = person.page
    page.locator("input[name=display_name]").fill(name)
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name=button, exact=True).click()


def test_two_people_share_a_rotating_chore(
    people: dict[str, Person], site: Site, screenshots: Path
) -> None:
    alice, bob = people["alice"], people["bob"]

    # Alice signs up (her browser is Japanese) and creates the household.
    alice.go("/signup")
    expect(alice.page.get_by_role("heading", name="新規登録")).to_be_visible()
    sign_up(alice, "Alice", "alice@example.jp", "新規登録")
    expect(alice.page).to_have_url(re.compile(r"/households$"))
    alice.page.locator("input[name=household_name]").fill("みどり家")
    alice.page.get_by_role("button", name="世帯を作成").click()
    expect(alice.page).to_have_url(re.compile(r"/h/\d+/today$"))
    household = re.search(r"/h/(\d+)/", alice.page.url)
    assert household is not None
    base = f"/h/{household.group(1)}"
    # A new household has no chores: it says where to start, not "nothing to do".
    expect(alice.page.get_by_text("まだ家事がありません。", exact=False)).to_be_visible()
    expect(alice.page.get_by_role("link", name="家事を追加")).to_be_visible()

    # She creates an invite link for a member.
    alice.go(f"{base}/settings")
    alice.page.get_by_role("button", name="招待リンクを作成").click()
    link = alice.page.locator("input[name=invite_link]")
    expect(link).to_have_value(re.compile(r"/invite/\S+$"))
    invite = link.input_value()
    assert invite.startswith(site.url + "/invite/")

    # Bob opens it on his phone (English browser): log in first, sign up, come back, join.
    bob.page.goto(invite)
    expect(bob.page).to_have_url(re.compile(r"/login\?next="))
    # Before he has an account, the page says who invites him.
    invited = bob.page.get_by_text("You are invited to “みどり家” as Member.")
    expect(invited).to_be_visible()
    shoot(bob, screenshots, "en-login")
    bob.page.get_by_role("link", name="Sign up").click()
    expect(invited).to_be_visible()
    sign_up(bob, "Bob", "bob@example.jp", "Sign up")
    expect(invited).to_be_visible()
    bob.page.get_by_role("button", name="Join").click()
    expect(bob.page).to_have_url(re.compile(rf"{base}/today$"))
    # The used link, opened again by the member it let in, leads home.
    bob.page.goto(invite)
    expect(bob.page).to_have_url(re.compile(rf"{base}/today$"))
    # Inside the household its language (Japanese) wins over Bob's browser.
    expect(bob.page.get_by_role("heading", name="やること")).to_be_visible()

    # Alice creates a weekly chore that rotates between Bob (first) and herself.
    alice.go(f"{base}/chores/new")
    page = alice.page
    page.locator("input[name=name]").fill("ゴミ出し")
    page.locator("input[name=category]").fill("キッチン")
    page.locator("input[name=estimated_minutes]").fill("10")
    expect(page.locator("select[name=kind]")).to_have_value("interval")
    page.locator("input[name=every]").fill("1")
    page.locator("select[name=unit]").select_option("week")
    page.locator("select[name=mode]").select_option("round_robin")
    page.get_by_role("checkbox", name="Bob").check()
    page.get_by_role("checkbox", name="Alice").check()
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(rf"{base}/chores$"))
    chore = page.get_by_role("listitem").filter(has_text="ゴミ出し")
    expect(chore).to_contain_text("毎週")
    expect(chore).to_contain_text("Bob")

    # Bob sees it due today, assigned to him, and marks it done with one tap; undo, then again.
    bob.go(f"{base}/today")
    row = bob.page.get_by_role("listitem").filter(has_text="ゴミ出し")
    expect(row).to_contain_text("Bob")
    bob.page.get_by_role("button", name="自分", exact=True).click()
    expect(row).to_be_visible()
    shoot(bob, screenshots, "ja-today")
    bob.page.get_by_role("button", name="「ゴミ出し」を完了にする").tap()
    toast = bob.page.get_by_role("status").filter(has_text="「ゴミ出し」を完了しました。")
    expect(toast).to_be_visible()
    expect(bob.page.get_by_text("やることはありません。")).to_be_visible()
    toast.get_by_role("button", name="元に戻す").tap()
    expect(row).to_be_visible()
    bob.page.get_by_role("button", name="「ゴミ出し」を完了にする").tap()
    expect(bob.page.get_by_text("やることはありません。")).to_be_visible()

    # The rotation moved on: next week it is Alice's.
    bob.go(f"{base}/chores")
    expect(bob.page.get_by_role("listitem").filter(has_text="ゴミ出し")).to_contain_text("Alice")
    shoot(bob, screenshots, "ja-chores")

    # Both see it in the history (done by Bob) and in the stats (Bob: 1, Alice: 0).
    for person in (alice, bob):
        person.go(f"{base}/history")
        entries = person.page.get_by_role("listitem").filter(has_text="ゴミ出し")
        expect(entries).to_have_count(1)
        expect(entries.locator(".who")).to_have_text("Bob")
        person.go(f"{base}/stats")
        expect(person.page.locator("tr[data-member=Bob] td").first).to_have_text("1")
        expect(person.page.locator("tr[data-member=Alice] td").first).to_have_text("0")
        expect(person.page.get_by_role("img", name="メンバーごとの回数")).to_be_visible()
    shoot(bob, screenshots, "ja-stats")
    bob.go(f"{base}/history")
    shoot(bob, screenshots, "ja-history")
    bob.go(f"{base}/calendar")
    expect(bob.page.get_by_role("listitem").filter(has_text="ゴミ出し").first).to_be_visible()
    shoot(bob, screenshots, "ja-calendar")
    bob.go(f"{base}/chores/new")
    shoot(bob, screenshots, "ja-chore-form")
    bob.go(f"{base}/settings")
    expect(bob.page.get_by_text("Alice", exact=True)).to_be_visible()
    shoot(bob, screenshots, "ja-settings")
    bob.go("/households")
    shoot(bob, screenshots, "ja-households")
    bob.go("/account")
    shoot(bob, screenshots, "ja-account")

    # Alice switches the household to English; Bob's phone follows on its next load.
    alice.go(f"{base}/settings")
    alice.page.locator("select[name=language]").select_option("en")
    alice.page.get_by_role("button", name="保存").click()
    expect(alice.page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    for screen, heading in (
        ("today", "To do"),
        ("chores", "Chores"),
        ("calendar", "Calendar"),
        ("history", "History"),
        ("stats", "Who did what"),
        ("settings", "Settings"),
    ):
        bob.go(f"{base}/{screen}")
        expect(bob.page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        shoot(bob, screenshots, f"en-{screen}")
    expect(bob.page.get_by_role("navigation", name="Main")).to_contain_text("Stats")

    # Made a viewer, Bob sees the chores but no controls to change them.
    alice.go(f"{base}/settings")
    alice.page.get_by_role("combobox", name="Role of Bob").select_option("viewer")
    expect(alice.page.get_by_role("combobox", name="Role of Bob")).to_have_value("viewer")
    bob.go(f"{base}/chores")
    expect(bob.page.get_by_role("listitem").filter(has_text="ゴミ出し")).to_be_visible()
    expect(bob.page.get_by_role("link", name="New chore")).to_have_count(0)
    expect(bob.page.get_by_role("link", name=re.compile("ゴミ出し"))).to_have_count(0)
    expect(bob.page.get_by_role("button", name="Import")).to_have_count(0)
    bob.go(f"{base}/history")
    expect(bob.page.get_by_role("listitem").filter(has_text="ゴミ出し")).to_be_visible()
    expect(bob.page.get_by_role("button", name=re.compile("^Edit"))).to_have_count(0)

    assert alice.console_problems == []
    assert bob.console_problems == []

    # Offline, the installed shell still opens (service worker) and says the network is needed.
    bob.page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    failed: list[str] = []
    bob.page.on("requestfailed", lambda request: failed.append(request.url))
    bob.context.set_offline(True)
    bob.page.reload()
    expect(bob.page.get_by_role("alert").filter(has_text="You are offline")).to_be_visible()
    expect(bob.page.get_by_text("The server cannot be reached.")).to_be_visible()
    shoot(bob, screenshots, "en-offline", settled=False)
    # Only the API failed (the shell came from the cache), each read at most three times.
    assert {f"{site.url}/api/auth/me", f"{site.url}/api/households"} <= set(failed)
    assert all(url.startswith(f"{site.url}/api/") for url in failed), failed
    assert len(failed) <= 3 * len(set(failed)), failed
    bob.context.set_offline(False)
