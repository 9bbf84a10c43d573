// Where a signed-out page leads once the person is signed in.

/** The invite code of an invite page's path, else null. */
export function inviteCode(path: string): string | null {
  const match = /^\/invite\/([^/?#]+)$/.exec(path);
  return match?.[1] ? decodeURIComponent(match[1]) : null;
}

/** Where to go after signing in: the `next` parameter when it is a path of this site. */
export function nextPath(search: URLSearchParams): string {
  const next = search.get("next");
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}
