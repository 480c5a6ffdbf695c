"""What every console browser story shares: the browser (Debian's chromium, driven by
Playwright), signing in, screenshots at a desktop and a phone size, and the layout check.

A story is a script `story_<name>.py` with a `run(ctx)` function; the Rust test
(`crates/cli/tests/api/console/browser.rs`) starts wagate, makes the story's fixtures, and
runs `python story_<name>.py` with:
  WAGATE_URL          the server's base URL
  WAGATE_KEY          an API key to sign in with
  WAGATE_FIXTURES     a JSON object of whatever else the story needs (ids, other keys)
  WAGATE_SCREENSHOTS  the folder screenshots go to
  CHROMIUM            the browser to drive
The script exits 0 when every expectation held; a failed one raises, printing where.
"""

import json
import os
import re
import sys
import traceback
from contextlib import contextmanager

from playwright.sync_api import expect, sync_playwright

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# Expectations wait for the page (no sleeps); a live update has this long to show.
expect.set_options(timeout=15_000)


class Ctx:
    def __init__(self, browser):
        self.browser = browser
        self.url = os.environ["WAGATE_URL"].rstrip("/")
        self.key = os.environ["WAGATE_KEY"]
        self.fixtures = json.loads(os.environ.get("WAGATE_FIXTURES") or "{}")
        self.shots = os.environ.get("WAGATE_SCREENSHOTS") or "target/console-screenshots"
        os.makedirs(self.shots, exist_ok=True)

    def page(self, viewport=DESKTOP):
        """A fresh browser context (its own cookies) and page."""
        context = self.browser.new_context(viewport=viewport)
        return context.new_page()

    def sign_in(self, page, key=None, next_path=None):
        target = self.url + "/console/sign-in"
        if next_path:
            target += "?next=" + next_path
        page.goto(target)
        page.get_by_label("API key").fill(key or self.key)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        return page

    def shot(self, page, name):
        """Screenshots `page` at the desktop and the phone size, checking at each that
        nothing spills sideways out of the window (a broken layout)."""
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 1, f"{name} at {label}: the page is {overflow}px wider than the window"
            page.screenshot(path=os.path.join(self.shots, f"{name}-{label}.png"), full_page=True)
        page.set_viewport_size(DESKTOP)

    def labelled(self, page):
        """Every visible form control has a label (or an aria-label)."""
        missing = page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea')]
                 .filter(e => e.type !== 'hidden' && e.offsetParent !== null)
                 .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                              && !e.getAttribute('aria-labelledby'))
                 .map(e => e.outerHTML.slice(0, 120))"""
        )
        assert not missing, f"controls without a label: {missing}"


def main(run):
    """Runs a story's `run(ctx)` in a headless chromium; exit 1 with the failure if any."""
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=os.environ.get("CHROMIUM") or "/usr/bin/chromium",
                headless=True,
                args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
            )
            try:
                run(Ctx(browser))
            finally:
                browser.close()
    except Exception:  # noqa: BLE001 - the test prints whatever failed
        traceback.print_exc()
        sys.exit(1)
    print("story passed")


def text_of(locator):
    return re.sub(r"\s+", " ", locator.inner_text()).strip()
