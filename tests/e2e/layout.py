"""Does a page fit the screen it is shown on? The measure behind the tablet-and-phone browser test, also runnable by
hand against a running demo to walk every page of every role at the three sizes an office and a home visit use:

    .venv/bin/python -m tests.e2e.layout http://127.0.0.1:8000 --out var/layout

It prints one line per page and size and writes a full-page screenshot of each into --out (look at them).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A phone held upright, a tablet held upright, the office's small laptop.
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}
LAPTOP = {"width": 1366, "height": 768}
VIEWPORTS = {"390": PHONE, "768": TABLET, "1366": LAPTOP}
MIN_TARGET = 44  # CSS pixels: WCAG 2.5.5's target size, the size of a fingertip

# Runs in the page. Three things a person would notice:
# - the page scrolls sideways (the document is wider than the window);
# - a word broken across lines because its box is narrower than the word (one syllable per line in a column
#   squeezed to nothing). A long paragraph that wraps at a hyphen or a middle dot, in a box wide enough for the
#   word, is ordinary line breaking and is not counted;
# - a control smaller than a fingertip. Links inside a sentence are exempt, as WCAG 2.5.5 exempts them: they are
#   as tall as the line and making them taller would space the text apart. A link that is all of its line (a
#   table cell, a menu entry) is a target of its own and counts.
MEASURE = r"""
() => {
  const visible = (el) => {
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const hidden = '.skip-link, .skip-to-content-link, .visually-hidden';
  const contentWidth = (el) => {
    let box = el;
    while (box.parentElement && getComputedStyle(box).display.startsWith('inline')) box = box.parentElement;
    const style = getComputedStyle(box);
    return box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  };
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || !visible(el) || el.closest('script, style, option, ' + hidden)) continue;
    const words = /\S+/g;
    for (let m = words.exec(node.textContent); m; m = words.exec(node.textContent)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0);
      const lines = new Set(rects.map((r) => Math.round(r.top)));
      const width = rects.reduce((sum, r) => sum + r.width, 0);
      if (lines.size > 1 && width > contentWidth(el) + 1 && width < innerWidth * 0.8) {
        broken.push(`${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''}: ${m[0]}`);
      }
    }
  }
  const small = [];
  const controls = 'button, input:not([type=hidden]), select, textarea, summary, a';
  for (const el of document.querySelectorAll(controls)) {
    if (!visible(el) || el.closest(hidden)) continue;
    if (el.tagName === 'A' && getComputedStyle(el).display === 'inline') {
      const own = el.innerText.trim();
      const around = (el.parentElement.innerText || '').trim();
      if (around !== own) continue;  // a link inside a sentence
    }
    if (el.type === 'checkbox' || el.type === 'radio') {
      // The target of a box is its label too (the label and the box are one control).
      const label = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`));
      if (label && label.getBoundingClientRect().height >= 44) continue;
    }
    const box = el.getBoundingClientRect();
    if (box.height < 44 - 0.5) {
      const text = (el.innerText || el.value || el.name || '').trim().slice(0, 30);
      small.push(`${el.tagName.toLowerCase()} ${Math.round(box.width)}×${Math.round(box.height)} ${text}`);
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: innerWidth,
    height: document.documentElement.scrollHeight,
    broken: broken,
    small: small,
  };
}
"""


@dataclass
class Fit:
    """What MEASURE found on one page at one size."""

    scroll_width: int
    inner_width: int
    height: int
    broken: list[str] = field(default_factory=list)
    small: list[str] = field(default_factory=list)

    @property
    def scrolls_sideways(self) -> bool:
        return self.scroll_width > self.inner_width

    def problems(self) -> list[str]:
        found = []
        if self.scrolls_sideways:
            found.append(f"scrolls sideways: {self.scroll_width} px wide in a {self.inner_width} px window")
        if self.broken:
            found.append(f"{len(self.broken)} words broken across lines: {self.broken[:5]}")
        if self.small:
            found.append(f"{len(self.small)} controls under {MIN_TARGET} px: {self.small[:5]}")
        return found


def measure(page: Any) -> Fit:
    raw = page.evaluate(MEASURE)
    return Fit(raw["scrollWidth"], raw["innerWidth"], raw["height"], raw["broken"], raw["small"])


# --- Walking every page of every role (by hand, against a running demo) --------------------------------------

ROLE_PAGES: dict[str, list[str]] = {
    "demo_dong": [
        "/",
        "/discovery/",
        "/discovery/outreach/",
        "@household",
        "@search",
        "/referrals/",
        "/referrals/new/",
        "/statistics/",
    ],
    "demo_district": [
        "/",
        "/discovery/",
        "/discovery/outreach/",
        "/discovery/signals/",
        "/discovery/signals/upload/",
        "/discovery/rounds/",
        "/discovery/rounds/new/",
        "@round",
        "/discovery/models/",
        "@search",
        "@household",
        "/referrals/",
        "/referrals/new/",
        "/statistics/",
    ],
    "demo_admin": [
        "/",
        "/audit/",
        "/audit/?verify=1",
        "/admin/",
        "/admin/registry/staff/",
        "/admin/registry/agency/",
        "/admin/registry/administrativearea/",
        "@staff",
        "/discovery/",
        "/discovery/rounds/",
        "@round",
        "/statistics/",
    ],
    "demo_agency": ["/", "@search", "@household", "/referrals/", "/referrals/new/"],
    "demo_safetynet": ["/", "/referrals/", "/referrals/new/"],
    "demo_analyst": ["/", "/statistics/"],
    "demo_city": ["/", "/discovery/models/", "/discovery/models/agreements/"],
    "": ["/accounts/login/", "/no-such-page/"],
}


def _login(page: Any, base: str, username: str, password: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def _first_href(page: Any, base: str, path: str, selector: str) -> str | None:
    page.goto(base + path)
    link = page.locator(selector).first
    return link.get_attribute("href") if link.count() else None


def _resolve(page: Any, base: str, target: str) -> Iterator[str]:
    """A page by address, or one found the way a person would find it (the first household on a list)."""
    if not target.startswith("@"):
        yield target
        return
    if target == "@search":
        page.goto(base + "/households/")
        page.fill("#q", "김")
        page.locator("#results table, #results p").first.wait_for()
        yield ""  # the page as it is, with its results
    elif target == "@household":
        href = _first_href(page, base, "/discovery/outreach/", "table.outreach a[href^='/households/']")
        if href is None:
            page.goto(base + "/households/")
            page.fill("#q", "김")
            page.locator("#results table, #results p").first.wait_for()
            link = page.locator("#results a[href^='/households/']").first
            href = link.get_attribute("href") if link.count() else None
        if href:
            yield href
    elif target == "@round":
        href = _first_href(page, base, "/discovery/rounds/", "main table a[href^='/discovery/rounds/']")
        if href:
            yield href
    elif target == "@staff":
        href = _first_href(page, base, "/admin/registry/staff/", "#result_list tbody th a")
        if href:
            yield href


def walk(base: str, out: Path, password: str, chromium: str = "/usr/bin/chromium") -> int:
    from playwright.sync_api import sync_playwright

    from tests.e2e.support import CHROMIUM_ARGS

    out.mkdir(parents=True, exist_ok=True)
    faults = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        for username, targets in ROLE_PAGES.items():
            for size, viewport in VIEWPORTS.items():
                context = browser.new_context(viewport=viewport, locale="ko-KR", timezone_id="Asia/Seoul")
                page = context.new_page()
                if username:
                    _login(page, base, username, password)
                for target in targets:
                    for path in _resolve(page, base, target):
                        if path:
                            page.goto(base + path)
                        fit = measure(page)
                        name = re.sub(r"[^a-z0-9]+", "-", f"{username or 'anonymous'}{path or target}".lower())
                        page.screenshot(path=out / f"{name.strip('-')}-{size}.png", full_page=True)
                        problems = fit.problems()
                        faults += bool(problems)
                        status = "; ".join(problems) if problems else "ok"
                        print(f"{size:>4} {username or '-':15} {path or target:40} h={fit.height:5} {status}")
                context.close()
        browser.close()
    return faults


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url")
    parser.add_argument("--out", type=Path, default=Path("var/layout"))
    parser.add_argument("--password", default="dolbom-demo-2026")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    faults = walk(args.base_url.rstrip("/"), args.out, args.password, args.chromium)
    print(f"{faults} page views with problems")
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
