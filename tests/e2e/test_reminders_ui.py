"""Reminders as a person sets them up in the browser: choices saved and shown again, a bad
Apprise URL refused beside its field in Japanese, a test message to a local receiver; Web Push
subscribed (with a stand-in push service: Chromium cannot reach a real one from here), a push
shown by the service worker and its 完了 action recording the chore once, even offline; a due
time and a postponed occurrence; API tokens; an admin's password reset link; the household
channel, which only admins see."""

import base64
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.family import LONG_CHORE, PASSWORD, XHR, Family, api, make_family
from tests.e2e.layout import layout_problems
from tests.e2e.stack import SCREENSHOTS, Site
from tests.support.receivers import http_receiver

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def family(browser: Any, site: Site) -> Iterator[Family]:
    contexts: dict[str, BrowserContext] = {
        role: browser.new_context(
            base_url=site.url, timezone_id="Asia/Tokyo", locale="ja-JP", viewport=PHONE
        )
        for role in ("admin", "member", "viewer")
    }
    yield make_family(contexts, tag="reminders")
    for context in contexts.values():
        context.close()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_choices_are_saved_refused_in_japanese_and_tested(family: Family) -> None:
    context = family.contexts["viewer"]  # every role sets its own reminders
    page = context.new_page()
    with http_receiver() as receiver:
        try:
            page.goto(f"{family.base}/settings")
            page.get_by_role("link", name=re.compile("リマインダーと通知")).click()
            expect(page.get_by_role("heading", name="リマインダー", exact=True)).to_be_visible()
            page.get_by_role("radio", name="すべての家事").check()
            page.locator("select[name=before_minutes]").select_option(label="15分前")
            page.locator("select[name=nag_minutes]").select_option(label="10分ごと")
            page.locator("select[name=digest_hour]").select_option(label="毎日 07:00")
            page.locator("input[name=quiet_start]").fill("22:00")
            page.locator("input[name=quiet_end]").fill("07:00")
            url = page.get_by_role("textbox", name="通知先URL（Apprise）")  # noqa: RUF001
            url.fill("これはURLではない")
            page.get_by_role("button", name="保存").click()
            # Beside its field, in the user's language, never Apprise's English.
            field = page.locator("label").filter(has=url)
            expect(field.get_by_role("alert")).to_contain_text(
                "Appriseが扱える通知先URLではありません"
            )
            expect(page.get_by_role("main")).not_to_contain_text("Apprise understands")
            assert layout_problems(page, navigation=True) == []
            field.scroll_into_view_if_needed()
            page.screenshot(
                path=str(SCREENSHOTS / "screens" / "ja-viewer-phone-reminders-bad-url.png")
            )

            url.fill(f"json://{receiver.base}/hook")
            page.get_by_role("button", name="保存").click()
            expect(page.locator(".toast")).to_contain_text("リマインダーを保存しました。")
            page.reload()
            expect(page.get_by_role("radio", name="すべての家事")).to_be_checked()
            expect(page.locator("select[name=before_minutes]")).to_have_value("15")
            expect(page.locator("select[name=nag_minutes]")).to_have_value("10")
            expect(page.locator("select[name=digest_hour]")).to_have_value("7")
            expect(page.locator("input[name=quiet_start]")).to_have_value("22:00")
            expect(page.locator("input[name=quiet_end]")).to_have_value("07:00")
            # The URL is not sent back (it may hold secrets): the channel is listed instead.
            expect(url).to_have_value("")
            channels = page.locator(".channel")
            expect(channels).to_have_count(1)
            expect(channels).to_contain_text(receiver.base)
            expect(channels).to_contain_text("正常")

            page.get_by_role("button", name="テスト送信").click()
            expect(page.locator(".test-results")).to_contain_text("✓ 送信しました")
            assert [r.path for r in receiver.requests] == ["/hook"]
            assert "みどり家" in json.loads(receiver.requests[0].body)["message"]
            saved = api(context.request, "GET", f"/api/households/{family.household}/reminders")
            assert saved["scope"] == "all"
            assert (saved["before_minutes"], saved["nag_minutes"], saved["digest_hour"]) == (
                15,
                10,
                7,
            )
            assert (saved["quiet_start"], saved["quiet_end"]) == ("22:00:00", "07:00:00")

            # The receiver stops answering: the test says so, with the reason.
            receiver.status = 500
            page.get_by_role("button", name="テスト送信").click()
            expect(page.locator(".test-results")).to_contain_text("✗ 送れませんでした")
        finally:
            page.close()


def test_an_admin_sets_the_household_channel_and_a_member_sees_none(family: Family) -> None:
    page = family.contexts["admin"].new_page()
    with http_receiver() as receiver:
        try:
            page.goto(f"{family.base}/reminders")
            card = page.get_by_role("region", name="世帯のチャンネル")
            expect(card).to_contain_text("期限の来た家事すべての毎日のまとめ")
            url = card.get_by_role("textbox", name="通知先URL（Apprise）")  # noqa: RUF001
            url.fill("これはURLではない")
            card.get_by_role("button", name="保存").click()
            # Beside its field, in the user's language.
            field = card.locator("label").filter(has=page.locator("input[name$=apprise_url]"))
            expect(field.get_by_role("alert")).to_contain_text(
                "Appriseが扱える通知先URLではありません"
            )

            url.fill(f"json://{receiver.base}/household")
            card.get_by_role("combobox", name="送る時刻").select_option(label="毎日 19:00")
            card.get_by_role("button", name="保存").click()
            expect(page.locator(".toast")).to_contain_text("世帯のチャンネルを保存しました。")
            page.reload()
            channel = card.locator(".channel")
            expect(channel).to_contain_text(receiver.base)
            expect(channel).to_contain_text("お母さんさんが設定・毎日 19:00")
            expect(channel).to_contain_text("正常")
            expect(card.get_by_role("combobox", name="送る時刻")).to_have_value("19")
            saved = api(page.request, "GET", f"/api/households/{family.household}/channel")
            assert (saved["service"], saved["digest_hour"]) == ("JSON", 19)

            card.get_by_role("button", name="テスト送信").click()
            expect(card.locator(".test-results")).to_contain_text("✓ 送信しました")
            assert [r.path for r in receiver.requests] == ["/household"]
            assert "みどり家" in json.loads(receiver.requests[0].body)["message"]
            assert layout_problems(page, navigation=True) == []
            card.scroll_into_view_if_needed()
            page.screenshot(
                path=str(SCREENSHOTS / "screens" / "ja-admin-phone-household-channel-tested.png")
            )

            page.once("dialog", lambda dialog: dialog.accept())
            card.get_by_role("button", name=re.compile("^「JSON: .*」を削除$")).click()
            expect(page.locator(".toast")).to_contain_text("削除しました")
            expect(channel).to_have_count(0)
            assert api(page.request, "GET", f"/api/households/{family.household}/channel") is None
        finally:
            page.close()
    # Only admins have it.
    member = family.contexts["member"].new_page()
    try:
        member.goto(f"{family.base}/reminders")
        expect(member.get_by_role("heading", name="リマインダー", exact=True)).to_be_visible()
        expect(member.locator(".channel, .card").first).to_be_visible()
        expect(member.get_by_role("region", name="世帯のチャンネル")).to_have_count(0)
        path = f"/api/households/{family.household}/channel"
        assert member.request.get(path).status == 403
    finally:
        member.close()


# A stand-in for the browser's push service: the subscription Chromium would make, with an
# endpoint on a local receiver and real P-256 keys (so that the server's message can be
# decrypted). Kept in localStorage so that it outlives a reload, as a real one does.
FAKE_PUSH = """
(json) => {
  const stored = () => JSON.parse(localStorage.getItem("fake-push") || "null");
  const make = (data) => ({
    endpoint: data.endpoint,
    expirationTime: null,
    options: { userVisibleOnly: true, applicationServerKey: null },
    toJSON: () => data,
    unsubscribe: async () => {
      localStorage.removeItem("fake-push");
      return true;
    },
  });
  PushManager.prototype.subscribe = async function () {
    localStorage.setItem("fake-push", JSON.stringify(json));
    return make(json);
  };
  PushManager.prototype.getSubscription = async function () {
    const data = stored();
    return data ? make(data) : null;
  };
}
"""

# notificationclick as the browser dispatches it: there is no DevTools command for a click,
# and waitUntil() refuses a synthetic event, so the test awaits what the handler hands it.
CLICK = """
async (action) => {
  const [notification] = await self.registration.getNotifications();
  const event = new NotificationEvent("notificationclick", { notification, action });
  let work = Promise.resolve();
  event.waitUntil = (promise) => { work = promise; };
  self.dispatchEvent(event);
  await work;
  const db = await new Promise((resolve) => {
    const open = indexedDB.open("household-offline", 1);
    open.onsuccess = () => resolve(open.result);
  });
  const left = await new Promise((resolve) => {
    const request = db.transaction("actions").objectStore("actions").count();
    request.onsuccess = () => resolve(request.result);
  });
  db.close();
  return left;
}
"""

NOTIFICATIONS = """
async () => {
  const registration = await navigator.serviceWorker.ready;
  for (let i = 0; i < 100; i++) {
    const shown = await registration.getNotifications();
    if (shown.length) {
      return shown.map((n) => ({ title: n.title, body: n.body, actions: n.actions }));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return [];
}
"""


def eventually(page: Page, check: Callable[[], Any], seconds: float = 15) -> Any:
    """check()'s first truthy answer; Playwright's events are handled while it waits."""
    deadline = time.monotonic() + seconds
    while not (result := check()):
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(100)
    return result


def completions_of(context: BrowserContext, family: Family, chore: int) -> list[Any]:
    history = api(context.request, "GET", f"/api/households/{family.household}/completions")
    return [c for c in history if c["chore_id"] == chore]


def test_push_is_subscribed_shown_and_its_done_action_records_once(
    browser: Any, site: Site, family: Family
) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth = os.urandom(16)
    context = browser.new_context(
        base_url=site.url,
        timezone_id="Asia/Tokyo",
        locale="ja-JP",
        viewport=PHONE,
        storage_state=family.contexts["member"].storage_state(),
    )
    context.grant_permissions(["notifications"], origin=site.url)
    page = context.new_page()
    with http_receiver() as push_service:
        subscription = {
            "endpoint": f"http://{push_service.base}/push/member",
            "expirationTime": None,
            "keys": {"p256dh": b64(point), "auth": b64(auth)},
        }
        context.add_init_script(f"({FAKE_PUSH})({json.dumps(subscription)})")
        try:
            page.goto(f"{family.base}/reminders")
            page.evaluate("navigator.serviceWorker.ready")
            page.get_by_role("button", name="このブラウザで通知を受け取る").click()
            expect(page.get_by_text("このブラウザにリマインダーが届きます。")).to_be_visible()
            expect(page.locator(".channel")).to_contain_text(
                "ブラウザの通知（このブラウザ）"  # noqa: RUF001
            )
            path = f"/api/households/{family.household}/reminders"
            channels = api(context.request, "GET", path)["channels"]
            assert [(c["kind"], c["target"]) for c in channels] == [("push", "127.0.0.1")]

            # The server's test message reaches the push service, encrypted for these keys.
            page.get_by_role("button", name="テスト送信").click()
            expect(page.locator(".test-results")).to_contain_text("✓ 送信しました")
            [delivered] = push_service.requests
            assert delivered.headers["content-encoding"] == "aes128gcm"
            plain = http_ece.decrypt(delivered.body, private_key=private, auth_secret=auth)
            assert json.loads(plain)["tag"] == "test"

            # A reminder pushed to the service worker is shown, with 完了.
            chore = family.chores["long"]
            message = {
                "title": LONG_CHORE,
                "body": "08:00まで",
                "tag": f"due:{chore}",
                "household_id": family.household,
                "chore_id": chore,
                "due_date": date.today().isoformat(),
            }
            cdp = context.new_cdp_session(page)
            registrations: list[str] = []
            cdp.on(
                "ServiceWorker.workerRegistrationUpdated",
                lambda event: registrations.extend(
                    r["registrationId"] for r in event["registrations"] if not r["isDeleted"]
                ),
            )
            cdp.send("ServiceWorker.enable")
            eventually(page, lambda: registrations)

            def push() -> list[dict[str, Any]]:
                """Delivers `message` to the active worker's registration (the newest one the
                DevTools protocol reported) and answers the notifications shown. A push that
                reached a worker still starting is delivered again: the tag keeps it one."""
                page.evaluate("navigator.serviceWorker.ready.then(() => true)")
                for _ in range(2):
                    cdp.send(
                        "ServiceWorker.deliverPushMessage",
                        {
                            "origin": site.url,
                            "registrationId": registrations[-1],
                            "data": json.dumps(message),
                        },
                    )
                    shown: list[dict[str, Any]] = page.evaluate(NOTIFICATIONS)
                    if shown:
                        return shown
                return []

            [shown] = push()
            assert shown["title"] == LONG_CHORE
            assert [a["action"] for a in shown["actions"]] == ["done"]
            assert [a["title"] for a in shown["actions"]] == ["完了"]

            # 完了 without a network: kept in the offline queue, recorded once it is back.
            assert completions_of(context, family, chore) == []
            [worker] = context.service_workers
            context.set_offline(True)
            assert worker.evaluate(CLICK, "done") == 1
            context.set_offline(False)
            eventually(page, lambda: completions_of(context, family, chore))
            page.wait_for_timeout(1_000)  # nothing more arrives
            done = completions_of(context, family, chore)
            assert len(done) == 1, done
            assert done[0]["done_by"]["user_id"] == family.users["member"]

            # The worker cannot reach the server while the app is online: the app sends the tap
            # as soon as the worker tells it (not at its next retry, half a minute later).
            assert push()
            context.route("**/complete", lambda route: route.abort())
            assert worker.evaluate(CLICK, "done") == 1
            context.unroute("**/complete")
            eventually(page, lambda: len(completions_of(context, family, chore)) == 2)

            # A click on the notification itself brings the app to Today.
            assert push()
            assert worker.evaluate(CLICK, "") == 0
            expect(page).to_have_url(re.compile(rf"{family.base}/today$"))
            assert len(completions_of(context, family, chore)) == 2
            page.goto(f"{family.base}/reminders")

            # Turned off: the server forgets this browser.
            page.get_by_role("button", name="このブラウザの通知をオフにする").click()
            expect(page.get_by_text("このブラウザにはリマインダーが届きません。")).to_be_visible()
            assert api(context.request, "GET", path)["channels"] == []
        finally:
            context.close()


def test_a_due_time_is_shown_and_an_occurrence_postponed(family: Family) -> None:
    context = family.contexts["member"]
    page = context.new_page()
    chore = family.chores["long"]
    try:
        page.goto(f"{family.base}/chores/{chore}")
        page.locator("input[name=due_time]").fill("08:00")
        page.get_by_role("button", name="保存").click()
        row = page.get_by_role("listitem").filter(has_text=LONG_CHORE)
        expect(row).to_contain_text("08:00まで")
        page.goto(f"{family.base}/calendar")
        expect(page.get_by_role("listitem").filter(has_text=LONG_CHORE).first).to_contain_text(
            "08:00まで"
        )
        page.goto(f"{family.base}/today")
        expect(row).to_contain_text("08:00まで")

        row.get_by_role("button", name=f"「{LONG_CHORE}」のその他の操作").click()
        before = api(context.request, "GET", f"/api/households/{family.household}/chores/{chore}")
        later = date.fromisoformat(before["next_due"]) + timedelta(days=3)
        row.locator("input[name=postpone_to]").fill(later.isoformat())
        problems = layout_problems(page, navigation=True)
        row.locator(".postpone").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "screens" / "ja-member-phone-postpone.png"))
        assert problems == []
        row.get_by_role("button", name=f"「{LONG_CHORE}」を延期").click()
        expect(page.locator(".toast")).to_contain_text("延期しました")
        after = api(context.request, "GET", f"/api/households/{family.household}/chores/{chore}")
        assert after["next_due"] == later.isoformat()
        assert after["recurrence"] == before["recurrence"]
        assert after["due_time"] == "08:00:00"
        # Cleared from the form again.
        page.goto(f"{family.base}/chores/{chore}")
        page.locator("input[name=due_time]").fill("")
        page.get_by_role("button", name="保存").click()
        expect(page.get_by_role("heading", name="家事一覧")).to_be_visible()
        cleared = api(context.request, "GET", f"/api/households/{family.household}/chores/{chore}")
        assert cleared["due_time"] is None
    finally:
        page.close()
    # A viewer sees the chores but no way to postpone them.
    viewer = family.contexts["viewer"].new_page()
    try:
        viewer.goto(f"{family.base}/today")
        expect(viewer.get_by_role("listitem").filter(has_text=LONG_CHORE)).to_be_visible()
        expect(viewer.get_by_role("button", name=re.compile("延期|その他の操作"))).to_have_count(0)
    finally:
        viewer.close()


def test_an_api_token_is_shown_once_works_and_is_revoked(family: Family, site: Site) -> None:
    context = family.contexts["member"]
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    page = context.new_page()
    try:
        page.goto(f"{family.base}/settings")
        card = page.locator("#api-tokens")
        card.get_by_role("textbox", name="名前").fill("Home Assistant")
        card.get_by_role("combobox", name="権限").select_option(label="読み取りと書き込み")
        card.get_by_role("button", name="トークンを作成").click()
        secret = card.get_by_role("textbox", name="新しいトークン")
        expect(secret).not_to_have_value("")
        token = secret.input_value()
        card.get_by_role("button", name="トークンをコピー").click()
        expect(page.locator(".toast")).to_contain_text("トークンをコピーしました。")
        assert page.evaluate("navigator.clipboard.readText()") == token
        bearer = {"Authorization": f"Bearer {token}"}
        due = f"/api/households/{family.household}/due"
        assert context.request.get(due, headers=bearer).ok
        # Shown once: after a reload only its name is listed.
        page.reload()
        expect(card.get_by_role("listitem").filter(has_text="Home Assistant")).to_contain_text(
            "読み取りと書き込み"
        )
        expect(secret).to_have_count(0)
        page.on("dialog", lambda dialog: dialog.accept())
        card.get_by_role("button", name="「Home Assistant」を無効にする").click()
        expect(page.locator(".toast")).to_contain_text("無効にしました")
        assert context.request.get(due, headers=bearer).status == 401
    finally:
        page.close()


def test_an_admin_gives_a_member_a_password_reset_link(
    browser: Any, site: Site, family: Family
) -> None:
    page = family.contexts["admin"].new_page()
    try:
        page.goto(f"{family.base}/settings")
        page.get_by_role("button", name="たろうさんのパスワード再設定リンクを作る").click()
        link = page.get_by_role("textbox", name="たろうさんの再設定リンク")
        expect(link).to_have_value(re.compile(rf"^{site.url}/reset-password#\S{{20,}}$"))
        expect(page.locator(".reset-link")).to_contain_text("に期限が切れます")
        assert layout_problems(page, navigation=True) == []
        url = link.input_value()
    finally:
        page.close()
    # The member, on a device without a session, sets a new password and is logged in.
    context = browser.new_context(base_url=site.url, locale="ja-JP", viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(url)
        expect(page.get_by_role("heading", name="新しいパスワードを設定")).to_be_visible()
        page.get_by_label("新しいパスワード").fill("a brand new password")
        page.get_by_role("button", name="パスワードを設定").click()
        expect(page.get_by_role("heading", name="やること")).to_be_visible()
        # Used once: the link no longer works.
        page.goto(url)
        page.get_by_label("新しいパスワード").fill("another new password")
        page.get_by_role("button", name="パスワードを設定").click()
        expect(page.get_by_role("alert")).to_contain_text("この再設定リンクは使えません")
    finally:
        context.close()
    # Back to the family's password for the other tests.
    member = family.contexts["member"].request
    response = member.post(
        "/api/auth/login",
        headers=XHR,
        data={"email": "member-reminders@example.jp", "password": "a brand new password"},
    )
    assert response.ok
    api(
        member,
        "POST",
        "/api/auth/password",
        {"current_password": "a brand new password", "new_password": PASSWORD},
    )


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_reset_page_fits(browser: Any, site: Site, language: str) -> None:
    context = browser.new_context(base_url=site.url, locale=f"{language}-JP")
    try:
        page = context.new_page()
        problems: list[str] = []
        for size, viewport in {"phone": PHONE, "desktop": {"width": 1280, "height": 800}}.items():
            page.set_viewport_size(viewport)
            page.goto("/reset-password#" + "x" * 43)
            expect(page.locator("input[name=new_password]")).to_be_visible()
            problems += layout_problems(page, navigation=False)
            out = SCREENSHOTS / "screens" / f"{language}-signedout-{size}-reset-password.png"
            page.screenshot(path=str(out), full_page=True)
        assert problems == []
    finally:
        context.close()
