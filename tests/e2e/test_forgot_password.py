"""Forgot password, as a person on the login page does it: where the server sends mail, the login
page offers a link; the person asks with their address, opens the link of the mail (a real SMTP
receiver here), sets a new password and logs in with it. Where it sends none, no such link."""

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.family import register
from tests.e2e.layout import layout_problems
from tests.e2e.stack import SCREENSHOTS, Site, serve_site
from tests.support.receivers import Inbox, smtp_inbox

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}
EMAIL = "grandma@example.jp"
NEW_PASSWORD = "remembered at last, for sure"


@pytest.fixture(scope="module")
def mailing(built_frontend: Path, postgres_admin_url: str) -> Iterator[tuple[Site, Inbox]]:
    with smtp_inbox() as (inbox, port):
        mail = {"MAIL_URL": f"mailto://127.0.0.1:{port}?from=home@example.jp"}
        with serve_site(built_frontend, postgres_admin_url, mail) as site:
            yield site, inbox


def mailed_link(inbox: Inbox, seconds: float = 15) -> str:
    """The link of the first mail; the backend sends it after answering."""
    deadline = time.monotonic() + seconds
    while not inbox.messages:
        assert time.monotonic() < deadline, "no mail arrived"
        time.sleep(0.1)
    [(envelope, message)] = inbox.messages
    assert envelope.rcpt_tos == [EMAIL]
    body = message.get_body(("plain", "html"))
    assert body is not None
    found = re.search(r"http://\S+", body.get_content())
    assert found is not None
    return found.group(0)


def test_a_forgotten_password_is_reset_by_mail(browser: Any, mailing: tuple[Site, Inbox]) -> None:
    site, inbox = mailing
    context = browser.new_context(base_url=site.url, locale="ja-JP", viewport=PHONE)
    try:
        register(context, "おばあちゃん", EMAIL)
        context.clear_cookies()
        page = context.new_page()
        page.goto("/login")
        page.get_by_role("link", name="パスワードを忘れた場合").click()
        expect(page).to_have_url(re.compile(r"/forgot-password$"))
        page.get_by_label("メールアドレス").fill(EMAIL)
        page.get_by_role("button", name="再設定リンクを送る").click()
        sent = page.get_by_role("status")
        expect(sent).to_contain_text("再設定リンクをメールで送りました。リンクは24時間有効です。")
        expect(sent).to_contain_text("世帯の管理者に再設定リンクを作ってもらってください")
        assert layout_problems(page, navigation=False) == []
        page.screenshot(
            path=str(SCREENSHOTS / "screens" / "ja-signedout-phone-forgot-password-sent.png")
        )

        link = mailed_link(inbox)
        assert link.startswith(f"{site.url}/reset-password#")
        page.goto(link)
        page.get_by_label("新しいパスワード").fill(NEW_PASSWORD)
        page.get_by_role("button", name="パスワードを設定").click()
        expect(page.get_by_role("heading", name="世帯", exact=True)).to_be_visible()

        # Logged out, the new password logs in.
        context.clear_cookies()
        page.goto("/login")
        page.get_by_label("メールアドレス").fill(EMAIL)
        page.get_by_label("パスワード", exact=True).fill(NEW_PASSWORD)
        page.get_by_role("button", name="ログイン").click()
        expect(page.get_by_role("heading", name="世帯", exact=True)).to_be_visible()
    finally:
        context.close()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_forgot_password_page_fits(
    browser: Any, mailing: tuple[Site, Inbox], language: str
) -> None:
    site, _inbox = mailing
    context = browser.new_context(base_url=site.url, locale=f"{language}-JP")
    name = {"ja": "パスワードを忘れた場合", "en": "Forgot your password?"}[language]
    try:
        page = context.new_page()
        problems: list[str] = []
        for size, viewport in {"phone": PHONE, "desktop": {"width": 1280, "height": 800}}.items():
            page.set_viewport_size(viewport)
            page.goto("/login")
            page.get_by_role("link", name=name).click()
            expect(page.locator("input[name=email]")).to_be_visible()
            problems += layout_problems(page, navigation=False)
            out = SCREENSHOTS / "screens" / f"{language}-signedout-{size}-forgot-password.png"
            page.screenshot(path=str(out), full_page=True)
        assert problems == []
    finally:
        context.close()


def test_no_link_where_the_server_sends_no_mail(browser: Any, site: Site) -> None:
    context = browser.new_context(base_url=site.url, locale="ja-JP")
    try:
        page = context.new_page()
        with page.expect_response(re.compile(r"/api/auth/options$")) as options:
            page.goto("/login")
        assert options.value.json() == {"password_reset_by_mail": False}
        expect(page.get_by_role("button", name="ログイン")).to_be_visible()
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("link", name="パスワードを忘れた場合")).to_have_count(0)
    finally:
        context.close()
