"""What a person sees, checked in the page: no visible text cut off by its box or the screen, no
label broken into one character per line, and the main navigation inside the first screen."""

from playwright.sync_api import Page

# One pass over the visible text nodes. A text's line boxes (Range.getClientRects) must lie
# inside the viewport and inside every ancestor that clips (overflow other than visible: hidden,
# clip, or a scroll box, where part of it would need scrolling sideways to be read); a text of a
# few characters must not break over lines (メンバ/ー), and no text may average under 2.5
# characters per line (a name stacked one character per line in a 0-px column), and a short
# bracketed word must stay on one line.
PROBLEMS_JS = r"""
() => {
  const vw = document.documentElement.clientWidth;
  const problems = [];
  const where = (el) => {
    const classes = typeof el.className === "string" ? el.className.trim().split(/\s+/) : [];
    return [el.tagName.toLowerCase(), ...classes.filter(Boolean)].join(".");
  };
  if (document.documentElement.scrollWidth > vw + 1) {
    problems.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${vw}`);
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/\s+/g, " ").trim();
    const el = node.parentElement;
    if (!text || !el || el.closest("script, style, title, option, [aria-hidden=true]")) continue;
    if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0.5 && r.height > 0.5);
    if (!rects.length) continue;
    const left = Math.min(...rects.map((r) => r.left));
    const right = Math.max(...rects.map((r) => r.right));
    const label = `${where(el)} "${text.slice(0, 40)}"`;
    if (left < -1 || right > vw + 1) {
      const span = `${Math.round(left)}..${Math.round(right)} of ${vw}`;
      problems.push(`outside the screen (${span}): ${label}`);
      continue;
    }
    for (let box = el; box && box !== document.body; box = box.parentElement) {
      const style = getComputedStyle(box);
      const clips = style.overflowX !== "visible" || style.overflowY !== "visible";
      if (!clips && box.tagName !== "svg") continue;
      const start = box.getBoundingClientRect().left + box.clientLeft;
      const inner = { left: start, right: start + box.clientWidth };
      if (left < inner.left - 1 || right > inner.right + 1) {
        problems.push(`cut off by ${where(box)}: ${label}`);
        break;
      }
    }
    const lines = new Set(rects.map((r) => Math.round(r.top))).size;
    const chars = [...text.replace(/\s/g, "")].length;
    if (lines > 1 && (chars <= 6 || chars / lines < 2.5)) {
      problems.push(`${chars} characters on ${lines} lines: ${label}`);
    }
    // A short bracketed word is one unit: おばあちゃん(閲/覧) reads as a broken word.
    if (lines > 1) {
      for (const m of node.textContent.matchAll(/[(\uff08][^()\uff08\uff09\s]{1,6}[)\uff09]/g)) {
        const part = document.createRange();
        part.setStart(node, m.index);
        part.setEnd(node, m.index + m[0].length);
        const boxes = [...part.getClientRects()].filter((r) => r.width > 0.5);
        const tops = new Set(boxes.map((r) => Math.round(r.top)));
        if (tops.size > 1) problems.push(`"${m[0]}" broken over lines: ${label}`);
      }
    }
  }
  return problems;
}
"""

NAV_JS = r"""
(selector) => {
  const nav = document.querySelector(selector);
  if (!nav) return [`no ${selector}`];
  const problems = [];
  for (const link of nav.querySelectorAll("a")) {
    const r = link.getBoundingClientRect();
    const inside = r.width >= 1 && r.top >= 0 && r.left >= 0
      && r.bottom <= window.innerHeight + 0.5 && r.right <= window.innerWidth + 0.5;
    if (!inside) {
      problems.push(`navigation "${link.textContent}" off the first screen: ${JSON.stringify(r)}`);
    }
  }
  return problems;
}
"""


def layout_problems(page: Page, navigation: bool) -> list[str]:
    """Everything wrong with the screen as shown now, scrolled to the top."""
    page.evaluate("window.scrollTo(0, 0)")
    problems: list[str] = page.evaluate(PROBLEMS_JS)
    if navigation:
        problems += page.evaluate(NAV_JS, "nav.tabbar")
    return problems
