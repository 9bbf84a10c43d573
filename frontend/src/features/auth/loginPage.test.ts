import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

// The server's answers by path (the browser tests use the real one). The API client keeps the
// fetch it finds when it is created, so this one is in place before the page's module loads.
let routes: Record<string, [number, unknown]> = {};
const fetch = vi.fn(async (request: Request) => {
  const [status, body] = routes[new URL(request.url).pathname] ?? [404, { code: "not_found" }];
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
});
vi.stubGlobal("fetch", fetch);
const { mountLogin } = await import("./loginPage");

function answer(answers: typeof routes) {
  routes = answers;
  fetch.mockClear();
}

const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("the login page", () => {
  let root: HTMLElement;
  beforeEach(() => {
    sessionStorage.clear();
    root = document.createElement("div");
    document.body.append(root);
    vi.spyOn(navigator, "languages", "get").mockReturnValue(["ja-JP"]);
  });
  afterEach(() => {
    root.remove();
    vi.restoreAllMocks();
  });

  it("speaks the browser's language, and the one picked for the rest of the tab", async () => {
    answer({ "/api/auth/options": [200, { password_reset_by_mail: false }] });
    mountLogin(root, new URLSearchParams());
    await settled();
    expect(root.querySelector("h2")?.textContent).toBe("ログイン");
    expect(root.querySelector("label")?.textContent).toBe("メールアドレス");
    expect(root.querySelector<HTMLElement>(".forgot")?.hidden).toBe(true);
    const english = [...root.querySelectorAll("button")].find((b) => b.textContent === "English");
    english?.click();
    expect(root.querySelector("h2")?.textContent).toBe("Log in");
    expect(document.documentElement.lang).toBe("en");
    expect(english?.getAttribute("aria-pressed")).toBe("true");
    // The next signed-out page of this tab (another document) starts in English.
    root.replaceChildren();
    mountLogin(root, new URLSearchParams());
    expect(root.querySelector("h2")?.textContent).toBe("Log in");
  });

  it("names the inviting household and keeps the way back for sign-up", async () => {
    answer({
      "/api/auth/options": [200, { password_reset_by_mail: true }],
      "/api/invites/ABCD": [200, { household_name: "みどり家", role: "member" }],
    });
    mountLogin(root, new URLSearchParams("next=%2Finvite%2FABCD"));
    await settled();
    expect(root.querySelector(".invited")?.textContent).toContain("みどり家");
    expect(root.querySelector(".invited")?.textContent).toContain("メンバー");
    expect(root.querySelector<HTMLElement>(".forgot")?.hidden).toBe(false);
    const signup = [...root.querySelectorAll("a")].find((a) => a.textContent === "新規登録");
    expect(signup?.getAttribute("href")).toBe("/signup?next=%2Finvite%2FABCD");
  });

  it("says what went wrong in the page's language and lets the person try again", async () => {
    answer({
      "/api/auth/options": [200, { password_reset_by_mail: false }],
      "/api/auth/login": [401, { code: "invalid_credentials", detail: "Invalid email or password" }],
    });
    mountLogin(root, new URLSearchParams());
    root.querySelector<HTMLInputElement>("input[name=email]")!.value = "a@example.jp";
    root.querySelector<HTMLInputElement>("input[name=password]")!.value = "wrong password";
    root.querySelector("form")?.dispatchEvent(new Event("submit", { cancelable: true }));
    expect(root.querySelector<HTMLButtonElement>("button[type=submit]")?.disabled).toBe(true);
    await settled();
    await settled();
    const alert = root.querySelector('[role="alert"]');
    expect(alert?.textContent).toBe("メールアドレスまたはパスワードが違います。");
    expect(root.querySelector<HTMLButtonElement>("button[type=submit]")?.disabled).toBe(false);
    const login = fetch.mock.calls.map(([request]) => request).find((r) => r.url.endsWith("/login"));
    expect(login?.headers.get("X-Requested-With")).toBe("XMLHttpRequest");
    expect(await login?.json()).toEqual({ email: "a@example.jp", password: "wrong password" });
  });
});
