"""What the layout and accessibility browser tests share: the two window sizes, signed-in pages
and the measurements taken on each (issue 10, points 14 and 19)."""

import re

from tests.e2e.browser import sign_in, sign_in_with_totp

# A laptop window and a phone (iPhone 12–15 in CSS pixels).
VIEWPORTS = {"1280×800": (1280, 800), "390×844": (390, 844)}

# The document is no wider than the window; if it is, the innermost elements that stick out
# past the right edge, to say what to fix.
_OVERFLOW = """() => {
  const width = window.innerWidth;
  const result = {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, wide: [], scrolling: []};
  // A box that scrolls sideways inside the page hides what does not fit: not allowed either.
  for (const el of document.body.querySelectorAll('*')) {
    if (['TEXTAREA', 'SELECT', 'INPUT'].includes(el.tagName)) continue;
    const style = getComputedStyle(el);
    if (!['auto', 'scroll'].includes(style.overflowX)) continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      result.scrolling.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.classList.length ? '.' + [...el.classList].join('.') : '') + ' scrolls ' + el.scrollWidth + 'px in ' + el.clientWidth + 'px');
    }
  }
  if (result.scrollWidth <= width) return result;
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') return true;
    }
    return false;
  };
  const sticksOut = (el) => {
    const box = el.getBoundingClientRect();
    const visible = getComputedStyle(el).overflowX === 'visible';
    return box.width > 0 && (box.right > width + 0.5 || (visible && box.left + el.scrollWidth > width + 0.5));
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (!sticksOut(el) || [...el.children].some(sticksOut) || clipped(el)) continue;
    let name = el.tagName.toLowerCase();
    if (el.id) name += '#' + el.id;
    if (el.classList.length) name += '.' + [...el.classList].join('.');
    const parent = el.parentElement;
    let path = name;
    if (parent) path = parent.tagName.toLowerCase() + (parent.className && typeof parent.className === 'string' ? '.' + parent.className.trim().split(/\\s+/).join('.') : '') + ' > ' + name;
    result.wide.push(path + ' (right edge ' + Math.round(el.getBoundingClientRect().right) + 'px)');
    if (result.wide.length >= 6) break;
  }
  return result;
}"""


def participant_page(browser, base_url: str, email: str):
    page = browser.new_context().new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base_url, email)
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))
    return page


def agent_page(browser, base_url: str, email: str):
    page = browser.new_context().new_page()
    page.set_default_timeout(15_000)
    sign_in_with_totp(page, base_url, email)
    page.wait_for_url(re.compile(r"^(?!.*/accounts/2fa/authenticate/)"))
    return page


def open_page(page, url: str) -> None:
    """Open `url` and check it is the page asked for, not a sign-in page or an error."""
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    assert "/accounts/" not in page.url, f"{url} went to {page.url}"


def overflow(page) -> str | None:
    """None if the page fits its window and nothing in it scrolls sideways (a table in a
    scrolling box does not fit either); otherwise what is too wide."""
    found = page.evaluate(_OVERFLOW)
    if found["scrolling"]:
        return "scrolls sideways inside the page: " + "; ".join(found["scrolling"])
    if found["scrollWidth"] <= found["innerWidth"]:
        return None
    return f"scrollWidth {found['scrollWidth']} > innerWidth {found['innerWidth']}: " + "; ".join(
        found["wide"]
    )


def serious_axe_violations(page) -> list[str]:
    """axe-core's critical and serious findings on the page, as "rule-id: targets" lines."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation.get("impact") not in ("critical", "serious"):
            continue
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:8])
        lines.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return lines
