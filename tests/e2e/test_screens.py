"""Every screen as each person sees it: admin, member and viewer, on a phone (390x844) and a
desktop (1280x800), in Japanese and English, with long names (「おばあちゃん(閲覧)」, a
40-character chore). Fails on text cut off or pushed off the screen, a label broken one
character per line, or a main navigation outside the first screen; writes a screenshot of each
to var/screenshots/screens/ (<language>-<role>-<size>-<screen>.png)."""

import re
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.family import LONG_CHORE, VIEWER_NAME, Family, api, make_family, set_language
from tests.e2e.layout import layout_problems
from tests.e2e.stack import SCREENSHOTS, Site

pytestmark = pytest.mark.slow

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
ROLES = ("admin", "member", "viewer")
HEADINGS = {
    "ja": {
        "today": "やること",
        "chores": "家事一覧",
        "calendar": "予定",
        "history": "履歴",
        "stats": "誰が何をしたか",
        "settings": "設定",
        "reminders": "リマインダー",
        "account": "アカウント",
        "households": "世帯",
        "new": "家事を追加",
        "edit": "家事を編集",
    },
    "en": {
        "today": "To do",
        "chores": "Chores",
        "calendar": "Calendar",
        "history": "History",
        "stats": "Who did what",
        "settings": "Settings",
        "reminders": "Reminders",
        "account": "Account",
        "households": "Households",
        "new": "New chore",
        "edit": "Edit chore",
    },
}
# Due windows are cumulative: each includes the ones before it.
WINDOWS = {
    "ja": ["期限切れ", "今日まで", "明日まで", "1週間以内", "1ヶ月以内"],
    "en": ["Overdue", "Today", "By tomorrow", "Within a week", "Within a month"],
}
HOUSEHOLD_CHANNEL = {"ja": "世帯のチャンネル", "en": "Household channel"}
RECORDED_BY = {"ja": "お母さんが記録", "en": "recorded by お母さん"}


@pytest.fixture(scope="module")
def family(browser: Any, site: Site) -> Iterator[Family]:
    contexts: dict[str, BrowserContext] = {
        role: browser.new_context(
            base_url=site.url, timezone_id="Asia/Tokyo", locale="ja-JP", viewport=SIZES["phone"]
        )
        for role in ROLES
    }
    family = make_family(contexts, tag="screens")
    # The admin's reminders show the household's channel as saved (nothing is sent in tests).
    digest = {"apprise_url": "json://127.0.0.1:9/household-digest", "digest_hour": 7}
    api(contexts["admin"].request, "PUT", f"/api/households/{family.household}/channel", digest)
    yield family
    for context in contexts.values():
        context.close()


def screens(family: Family, role: str) -> list[tuple[str, str]]:
    """(name, path) of every screen the role can open."""
    base = family.base
    paths = [
        ("households", "/households"),
        ("account", "/account"),
        ("today", f"{base}/today"),
        ("chores", f"{base}/chores"),
        ("calendar", f"{base}/calendar"),
        ("history", f"{base}/history"),
        ("stats", f"{base}/stats"),
        ("settings", f"{base}/settings"),
        ("reminders", f"{base}/reminders"),
    ]
    if role != "viewer":
        paths += [("new", f"{base}/chores/new"), ("edit", f"{base}/chores/{family.chores['long']}")]
    return paths


def settle(page: Page) -> None:
    # Every screen shows a spinner until its data is there (cheaper than waiting for idleness).
    expect(
        page.get_by_role("status").filter(has_text=re.compile("Loading|読み込み中"))
    ).to_have_count(0)


def look(page: Page, out: Path, name: str, navigation: bool) -> list[str]:
    problems = [f"{name}: {problem}" for problem in layout_problems(page, navigation)]
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_every_screen_fits(family: Family, role: str, screenshots: Path) -> None:
    out = screenshots / "screens"
    out.mkdir(exist_ok=True)
    context = family.contexts[role]
    page = context.pages[0] if context.pages else context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    problems: list[str] = []
    started = time.monotonic()
    for language in ("ja", "en"):
        # The person's own choice wins over the household's Japanese.
        set_language(context, language)
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            for screen, path in screens(family, role):
                page.goto(path)
                heading = HEADINGS[language][screen]
                expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
                settle(page)
                # Outside the household too (/account, /households): its tabs stay.
                problems += look(page, out, f"{language}-{role}-{size}-{screen}", navigation=True)
                if screen == "today":
                    windows = page.get_by_role("group", name=re.compile("^(期間|Period)$"))
                    expect(windows.get_by_role("button")).to_have_text(WINDOWS[language])
                if screen == "calendar":
                    page.get_by_role("button", name=re.compile("^(月|Month)$")).click()
                    expect(page.get_by_role("grid")).to_be_visible()
                    name = f"{language}-{role}-{size}-calendar-month"
                    problems += look(page, out, name, navigation=True)
                if screen == "reminders" and role == "admin":
                    card = page.get_by_role("region", name=HOUSEHOLD_CHANNEL[language])
                    expect(card.locator(".channel")).to_contain_text("household-digest")
                if screen == "history":
                    expect(page.get_by_role("main")).to_contain_text(RECORDED_BY[language])
                if screen in ("settings", "stats"):
                    # Every member is listed, the viewer's long name included (and whole: above).
                    expect(page.get_by_role("main").get_by_text(VIEWER_NAME).first).to_be_visible()
            if role == "member":
                problems += done_and_undo(page, family, out, f"{language}-{role}-{size}-toast")
    set_language(context, None)
    assert problems == []
    assert errors == []
    # A budget for the whole matrix, so that it stays a few minutes at most.
    assert time.monotonic() - started < 180


def done_and_undo(page: Page, family: Family, out: Path, name: str) -> list[str]:
    """The toast after 完了 on the 40-character chore, its undo on one line, then undone."""
    page.goto(f"{family.base}/today")
    row = page.get_by_role("listitem").filter(has_text=LONG_CHORE)
    row.get_by_role("button", name=re.compile("完了にする|^Mark")).click()
    toast = page.locator(".toast")
    expect(toast).to_contain_text(LONG_CHORE)
    problems = [f"{name}: {problem}" for problem in layout_problems(page, True)]
    page.screenshot(path=str(out / f"{name}.png"))
    toast.get_by_role("button", name=re.compile("元に戻す|Undo")).click()
    expect(row).to_be_visible()
    return problems


SIGNED_OUT = {
    "ja": {"login": "ログイン", "signup": "新規登録", "forgot-password": "パスワードを忘れた場合"},
    "en": {"login": "Log in", "signup": "Sign up", "forgot-password": "Forgot your password?"},
}


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_signed_out_pages_fit(
    browser: Any, site: Site, screenshots: Path, language: str
) -> None:
    """Login (a page of its own, without React), sign-up and forgot-password, in the browser's
    language, on a phone and a desktop."""
    out = screenshots / "screens"
    out.mkdir(exist_ok=True)
    problems: list[str] = []
    errors: list[str] = []
    for size, viewport in SIZES.items():
        locale = {"ja": "ja-JP", "en": "en-US"}[language]
        context = browser.new_context(base_url=site.url, locale=locale, viewport=viewport)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        for screen, heading in SIGNED_OUT[language].items():
            page.goto(f"/{screen}")
            expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
            problems += look(page, out, f"{language}-signed-out-{size}-{screen}", navigation=False)
        context.close()
    assert errors == []
    assert problems == []


def test_problems_are_shown_in_the_users_language(family: Family, screenshots: Path) -> None:
    """A CSV with bad rows and a chore form the server refuses: field by field, in Japanese,
    never pydantic's English."""
    page = family.contexts["admin"].new_page()
    page.goto(f"{family.base}/chores")
    page.locator("input[name=csv]").set_input_files(
        files=[
            {
                "name": "chores.csv",
                "mimeType": "text/csv",
                "buffer": "category,task_name,frequency\nキッチン,皿洗い,毎日\n,,7\n".encode(),
            }
        ]
    )
    page.get_by_role("button", name="取り込む").click()
    problems = page.get_by_role("table").filter(has_text="問題のある行")
    expect(problems).to_contain_text("間隔：整数で入力してください")  # noqa: RUF001
    expect(problems).to_contain_text("名前：短すぎます（1以上）")  # noqa: RUF001
    expect(problems).not_to_contain_text(re.compile("Input should|String should"))
    page.get_by_role("table").filter(has_text="問題のある行").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "screens" / "ja-admin-phone-import-errors.png"))

    # A weekly chore with no day ticked: the form sends it, and the server refuses it.
    page.goto(f"{family.base}/chores/new")
    page.locator("input[name=name]").fill("曜日なしの家事")
    page.locator("select[name=kind]").select_option("weekly")
    page.get_by_role("button", name="保存").click()
    refused = page.get_by_role("alert")
    expect(refused).to_contain_text("入力内容を確認してください。")
    expect(refused.get_by_role("listitem")).to_have_text(["繰り返し：曜日を1つ以上選んでください"])  # noqa: RUF001
    expect(refused).not_to_contain_text(re.compile("[Vv]alue error|weekdays|Input should"))
    page.close()


def test_an_empty_household_points_to_adding_and_importing(family: Family) -> None:
    context = family.contexts["admin"]
    body = {"name": "空の家", "language": "ja"}
    household = api(context.request, "POST", "/api/households", body)
    page = context.new_page()
    try:
        page.goto(f"/h/{household['id']}/today")
        expect(page.get_by_text("まだ家事がありません。")).to_be_visible()
        expect(page.get_by_role("link", name="家事を追加")).to_have_attribute(
            "href", f"/h/{household['id']}/chores/new"
        )
        # Or a few common chores, spread over their interval rather than all due today.
        starters = page.get_by_role("group", name="よくある家事から選ぶ")
        for name in ("食器洗い", "トイレ掃除", "換気扇の掃除"):
            starters.get_by_role("checkbox", name=name).check()
        problems = layout_problems(page, navigation=True)
        page.screenshot(path=str(SCREENSHOTS / "screens" / "ja-admin-phone-empty.png"))
        assert problems == []
        starters.get_by_role("button", name="3件の家事を追加").click()
        expect(page.get_by_role("listitem").filter(has_text="食器洗い")).to_be_visible()
        expect(page.get_by_role("listitem")).to_have_count(1)
        path = f"/api/households/{household['id']}/chores"
        chores = {c["name"]: c for c in api(context.request, "GET", path)}
        assert sorted(chores) == ["トイレ掃除", "換気扇の掃除", "食器洗い"]
        assert chores["トイレ掃除"]["category"] == "トイレ"
        due = {name: date.fromisoformat(c["next_due"]) for name, c in chores.items()}
        assert (due["トイレ掃除"] - due["食器洗い"]).days == 3
        assert (due["換気扇の掃除"] - due["食器洗い"]).days == 6
        page.goto(f"/h/{household['id']}/chores#import")
        expect(page.locator("input[name=csv]")).to_be_in_viewport()
    finally:
        page.close()
        api(context.request, "DELETE", f"/api/households/{household['id']}")


def test_the_calendar_link_is_shown_again_copied_and_turned_off(family: Family, site: Site) -> None:
    context = family.contexts["member"]
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    page = context.new_page()
    try:
        page.goto(f"{family.base}/settings")
        card = page.locator("#calendar-feed")
        card.get_by_role("checkbox", name="誰でもできる家事も含める").check()
        card.get_by_role("button", name="リンクを作成").click()
        link = card.get_by_role("textbox", name="カレンダーのリンク")
        expect(link).to_have_value(re.compile(rf"^{site.url}/api/calendar/\S+\.ics$"))
        url = link.input_value()
        feed = context.request.get(url)
        assert feed.ok
        # The household's unassigned chore (誰でも) is in it, as the box asked.
        assert "SUMMARY:お風呂掃除".encode() in feed.body()
        # Shown again on the calendar screen, after a reload.
        page.goto(f"{family.base}/calendar")
        expect(link).to_have_value(url)
        card.get_by_role("button", name="リンクをコピー").click()
        expect(page.locator(".toast")).to_contain_text("リンクをコピーしました。")
        assert page.evaluate("navigator.clipboard.readText()") == url
        card.get_by_role("button", name="リンクを無効にする").click()
        expect(page.locator(".toast")).to_contain_text("リンクを無効にしました。")
        expect(link).to_have_count(0)
        assert context.request.get(url).status == 404
    finally:
        page.close()


def test_the_home_screen_icon_is_opaque(family: Family) -> None:
    """iOS paints the transparent parts of an apple-touch-icon black."""
    request = family.contexts["viewer"].request
    page = request.get("/").text()
    found = re.search(r'<link rel="apple-touch-icon" href="([^"]+)"', page)
    assert found is not None
    icon = request.get(found.group(1)).body()
    assert icon[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(icon[16:20]), int.from_bytes(icon[20:24])
    assert (width, height) == (180, 180)
    assert icon[25] == 2  # colour type 2: RGB, no alpha channel


def test_dark_mode_follows_the_system(browser: Any, site: Site, family: Family) -> None:
    context = browser.new_context(
        base_url=site.url,
        locale="ja-JP",
        viewport=SIZES["phone"],
        color_scheme="dark",
        storage_state=family.contexts["admin"].storage_state(),
    )
    page = context.new_page()
    out = SCREENSHOTS / "screens"
    try:
        problems: list[str] = []
        for screen in ("today", "settings", "stats"):
            page.goto(f"{family.base}/{screen}")
            heading = page.get_by_role("heading", name=HEADINGS["ja"][screen], exact=True)
            expect(heading).to_be_visible()
            settle(page)
            problems += look(page, out, f"dark-ja-admin-phone-{screen}", navigation=True)
            background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
            assert background == "rgb(18, 22, 20)"
        assert problems == []
    finally:
        context.close()


def test_reimporting_the_export_adds_nothing_and_an_import_can_be_undone(family: Family) -> None:
    context = family.contexts["admin"]
    chores_path = f"/api/households/{family.household}/chores"
    before = sorted(c["id"] for c in api(context.request, "GET", chores_path))
    export = context.request.get(f"{chores_path}/export.csv").body()
    page = context.new_page()
    try:
        page.goto(f"{family.base}/chores")
        csv = page.locator("input[name=csv]")
        own = {"name": "export.csv", "mimeType": "text/csv", "buffer": export}
        csv.set_input_files(files=[own])
        expect(page.get_by_text("新規 0件・同じ 3件・変更あり 0件")).to_be_visible()
        page.get_by_role("button", name="取り込む").click()
        expect(page.locator(".toast")).to_contain_text("新しく取り込む家事はありません。")
        assert sorted(c["id"] for c in api(context.request, "GET", chores_path)) == before

        # One known row with a changed rule (every 3 days, not every week) and two new: only
        # the new ones are imported, their first due dates spread over their interval (not all
        # today), and the import can be taken back without taking what others added meanwhile.
        rows = "category,task_name,frequency\nキッチン,皿洗い,1\n玄関,ゴミ出し,3\n浴室,カビ取り,30"
        three = {"name": "three.csv", "mimeType": "text/csv", "buffer": rows.encode()}
        csv.set_input_files(files=[three])
        expect(page.get_by_text("新規 2件・同じ 0件・変更あり 1件")).to_be_visible()
        expect(page.locator(".import-preview .badge.skipped")).to_have_text(["変更あり"])
        expect(page.get_by_text("変更ありの家事は取り込まず", exact=False)).to_be_visible()
        expect(page.locator("select[name=start]")).to_have_value("spread")
        assert layout_problems(page, navigation=True) == []
        page.locator(".import-preview").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "screens" / "ja-admin-phone-import-preview.png"))
        page.get_by_role("button", name="取り込む").click()
        toast = page.locator(".toast")
        expect(toast).to_contain_text("2件の家事を取り込みました。")
        chores = {c["name"]: c for c in api(context.request, "GET", chores_path)}
        assert set(chores) == {LONG_CHORE, "ゴミ出し", "お風呂掃除", "皿洗い", "カビ取り"}
        first = date.fromisoformat(chores["皿洗い"]["next_due"])
        assert (date.fromisoformat(chores["カビ取り"]["next_due"]) - first).days == 3
        assert chores["ゴミ出し"]["recurrence"]["unit"] == "week"  # the changed row was kept out
        meanwhile = api(
            family.contexts["member"].request,
            "POST",
            chores_path,
            {"name": "洗濯", "recurrence": {"kind": "interval", "every": 1, "unit": "day"}},
        )
        toast.get_by_role("button", name="元に戻す").click()
        expect(toast).to_contain_text("取り込みを元に戻しました。")
        after = sorted(c["id"] for c in api(context.request, "GET", chores_path))
        assert after == sorted([*before, meanwhile["id"]])
        api(context.request, "DELETE", f"{chores_path}/{meanwhile['id']}")
    finally:
        page.close()


def test_a_person_changes_their_display_name(family: Family) -> None:
    context = family.contexts["viewer"]
    page = context.new_page()
    try:
        page.goto("/account")
        name = page.get_by_role("textbox", name="表示名")
        expect(name).to_have_value(VIEWER_NAME)
        name.fill("ばあば")
        page.get_by_role("button", name="保存").first.click()
        expect(page.locator(".toast")).to_contain_text("名前を保存しました。")
        members = api(context.request, "GET", f"/api/households/{family.household}/members")
        assert "ばあば" in [m["display_name"] for m in members]
    finally:
        api(context.request, "PATCH", "/api/auth/me", {"display_name": VIEWER_NAME})
        page.close()


def test_todays_choices_are_remembered(family: Family) -> None:
    """The window (cumulative: 「1週間以内」) and whose chores (「自分+誰でも」) stay as chosen
    when Today is opened again, and the list shows the member's own and the unassigned ones."""
    context = family.contexts["member"]
    set_language(context, None)  # the household's Japanese
    page = context.new_page()
    try:
        page.goto(f"{family.base}/today")
        window = page.get_by_role("group", name="期間")
        whose = page.get_by_role("group", name="誰の家事")
        window.get_by_role("button", name="1週間以内").click()
        whose.get_by_role("button", name="自分+誰でも").click()
        page.reload()
        expect(window.get_by_role("button", name="1週間以内")).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(whose.get_by_role("button", name="自分+誰でも")).to_have_attribute(
            "aria-pressed", "true"
        )
        # ゴミ出し is the member's, お風呂掃除 anyone's.
        items = page.get_by_role("listitem")
        expect(items.filter(has_text="ゴミ出し")).to_have_count(1)
        expect(items.filter(has_text="お風呂掃除")).to_have_count(1)
        # Back to the defaults, for the screens other tests look at.
        window.get_by_role("button", name="今日まで").click()
        whose.get_by_role("button", name="全員").click()
    finally:
        page.close()
