import { describe, expect, it } from "vitest";
import { inviteCode, nextPath } from "./next";

describe("the way back after signing in", () => {
  it("names the invite code of an invite page only", () => {
    expect(inviteCode("/invite/ABCD-EFGH")).toBe("ABCD-EFGH");
    expect(inviteCode("/invite/AB%20CD")).toBe("AB CD");
    expect(inviteCode("/invite/")).toBeNull();
    expect(inviteCode("/invite/ABCD/accept")).toBeNull();
    expect(inviteCode("/h/1/today")).toBeNull();
  });

  it("follows next only within this site", () => {
    expect(nextPath(new URLSearchParams("next=%2Finvite%2FABCD"))).toBe("/invite/ABCD");
    expect(nextPath(new URLSearchParams("next=%2F%2Fevil.example"))).toBe("/");
    expect(nextPath(new URLSearchParams("next=https%3A%2F%2Fevil.example"))).toBe("/");
    expect(nextPath(new URLSearchParams(""))).toBe("/");
  });
});
