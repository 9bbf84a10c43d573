"""Offline, as a phone on a train: every tab opens (or says why not, inside the app), a 完了
tapped offline is kept on the device through a reload and a closed tab and is recorded once,
with the time of the tap, when the network returns; and the app recovers by itself."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.family import LONG_CHORE, Family, api, make_family
from tests.e2e.stack import SCREENSHOTS, Site

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}

# Resolves once the service worker controls the page and holds every screen's code.
SHELL_READY = """
async () => {
  await navigator.serviceWorker.ready;
  for (let i = 0; i < 300; i++) {
    const cache = await caches.open("shell-v1");
    const names = (await cache.keys()).map((request) => request.url);
    const stats = names.some((url) => /StatsPage-.*\\.js$/.test(url));
    if (navigator.serviceWorker.controller && stats) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
"""


@pytest.fixture(scope="module")
def family(browser: Any, site: Site) -> Iterator[Family]:
    contexts: dict[str, BrowserContext] = {
        role: browser.new_context(
            base_url=site.url, timezone_id="Asia/Tokyo", locale="ja-JP", viewport=PHONE
        )
        for role in ("admin", "member", "viewer")
    }
    yield make_family(contexts, tag="offline")
    for context in contexts.values():
        context.close()


def pending(page: Page) -> Any:
    return page.locator("header").get_by_role("status")


def test_a_tap_offline_is_recorded_once_after_reload_and_reopen(family: Family) -> None:
    context = family.contexts["member"]
    page = context.new_page()
    page.goto(f"{family.base}/chores")
    expect(page.get_by_role("listitem").filter(has_text="ゴミ出し")).to_be_visible()
    page.goto(f"{family.base}/today")
    row = page.get_by_role("listitem").filter(has_text=LONG_CHORE)
    expect(row).to_be_visible()
    assert page.evaluate(SHELL_READY)

    context.set_offline(True)
    # A tab never opened before still opens: its code was fetched ahead (bug: blank app).
    page.get_by_role("navigation", name="メイン").get_by_role("link", name="集計").click()
    expect(page.get_by_role("heading", name="誰が何をしたか")).to_be_visible()
    page.get_by_role("navigation", name="メイン").get_by_role("link", name="やること").click()

    before = datetime.now(UTC)
    row.get_by_role("button", name=f"「{LONG_CHORE}」を完了にする").click()
    after = datetime.now(UTC)
    expect(page.locator(".toast")).to_contain_text("オンラインに戻ったら送信します")
    expect(pending(page)).to_have_text("送信待ち 1件")
    expect(row).to_contain_text("送信待ち")

    # Reloaded, then the tab closed and opened again, still offline: the tap is still there,
    # and the last due list and chore list can still be read.
    page.reload()
    expect(pending(page)).to_have_text("送信待ち 1件")
    expect(row).to_contain_text("送信待ち")
    expect(page.get_by_text("サーバーに接続できません。")).to_be_visible()
    page.get_by_role("navigation", name="メイン").get_by_role("link", name="家事一覧").click()
    expect(page.get_by_role("listitem").filter(has_text="ゴミ出し")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "ja-offline-chores.png"))
    page.close()
    page = context.new_page()
    page.goto(f"{family.base}/today")
    expect(pending(page)).to_have_text("送信待ち 1件")
    expect(page.get_by_role("alert").filter(has_text="オフラインです")).to_be_visible()

    # The network returns: the tap is sent once, and the screen recovers without a reload.
    sent: list[dict[str, str]] = []
    page.on(
        "request",
        lambda r: sent.append(r.headers) if r.method == "POST" and "/complete" in r.url else None,
    )
    context.set_offline(False)
    expect(pending(page)).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_role("heading", name="やること")).to_be_visible()
    expect(page.get_by_text("サーバーに接続できません")).to_have_count(0)

    history = api(context.request, "GET", f"/api/households/{family.household}/completions")
    done = [c for c in history if c["chore_id"] == family.chores["long"]]
    assert len(done) == 1, done
    assert done[0]["done_by"]["user_id"] == family.users["member"]
    assert len(sent) == 1, sent
    # The key the API records the tap under: a resend answers as before (test_tap_receipts.py).
    assert re.fullmatch(r"[\w-]{8,}", sent[0]["idempotency-key"])
    done_at = datetime.fromisoformat(done[0]["done_at"])
    # The time of the tap, not of the sending (which came seconds later).
    assert before - timedelta(seconds=1) <= done_at <= after + timedelta(seconds=1)
    page.close()


def test_a_screen_that_cannot_load_keeps_the_app(browser: Any, site: Site, family: Family) -> None:
    # Without a service worker nothing is fetched ahead: the screen's code download fails.
    context = browser.new_context(
        base_url=site.url,
        locale="ja-JP",
        viewport=PHONE,
        service_workers="block",
        storage_state=family.contexts["member"].storage_state(),
    )
    page = context.new_page()
    page.goto(f"{family.base}/today")
    expect(page.get_by_role("heading", name="やること")).to_be_visible()
    page.route(re.compile(r"/assets/HistoryPage-.*\.js$"), lambda route: route.abort())
    page.get_by_role("navigation", name="メイン").get_by_role("link", name="履歴").click()
    expect(page.get_by_role("alert")).to_contain_text("この画面を読み込めませんでした")
    # The frame stays: another tab works.
    page.get_by_role("navigation", name="メイン").get_by_role("link", name="やること").click()
    expect(page.get_by_role("heading", name="やること")).to_be_visible()
    context.close()


def test_the_app_recovers_by_itself_when_the_server_is_back(
    browser: Any, site: Site, family: Family
) -> None:
    """The server restarting (502 from nginx) while the device stays online: no reload needed."""
    context = browser.new_context(
        base_url=site.url,
        locale="ja-JP",
        viewport=PHONE,
        service_workers="block",
        storage_state=family.contexts["admin"].storage_state(),
    )
    page = context.new_page()
    try:
        page.route("**/api/**", lambda route: route.fulfill(status=502, body="Bad Gateway"))
        page.goto(f"{family.base}/history")
        banner = page.get_by_role("alert").filter(has_text="サーバーに接続できません")
        expect(banner.first).to_be_visible()
        # Past React Query's own retries (1 s, 2 s): only the app's periodic retry is left.
        page.wait_for_timeout(4_000)
        page.unroute("**/api/**")
        expect(page.get_by_role("listitem").filter(has_text="ゴミ出し")).to_be_visible(
            timeout=30_000
        )
        expect(banner).to_have_count(0)
    finally:
        context.close()
