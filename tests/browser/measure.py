"""What a browser test made its users do, counted as it happened; and how long two updates took.

Counts: for the length of one test, Playwright's own actions (Locator and Page: click, tap,
check, fill, select_option, ...) are wrapped, so every action any helper or step performs is
counted where it is performed, for the role whose tab it was (new_tab registers each tab). A check
or uncheck of a box already in that state is no click and is not counted (Playwright does not
click then either). Page loads are the tab's "load" events: full documents (links, form posts
with their redirect, goto, reload), never an htmx swap; those the test itself asked for (goto,
reload: a user typing an address or refreshing, or a tab coming back after time passed) are
counted apart as well.

Timings are taken in the page with performance.now() (event.timeStamp shares its clock): from the
click event to just after the next paint that shows an htmx swap, and from the click event to the
next document's load event (each document's performance.timeOrigin puts both on one clock).
They are reported, never asserted.
"""

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

from playwright.sync_api import Locator, Page, expect

CLICKS = ("click", "tap")
TOGGLES = ("check", "uncheck", "set_checked")
TYPED = ("fill", "type", "press_sequentially")
CHOICES = ("select_option",)
KEYS = ("press",)
LOADS = ("goto", "reload")
CLICK_KEYS = {"Enter", "Space", " "}


def _impl(page):
    return getattr(page, "_impl_obj", page)


@dataclass
class Meter:
    """Clicks, typed fields, list choices and page loads per role; timings by label."""

    roles: dict = field(default_factory=dict)  # page impl -> role
    counts: Counter = field(default_factory=Counter)  # (role, kind) -> n
    timings: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    # --- counting ----------------------------------------------------------------------------

    def watch(self, page: Page, role: str) -> None:
        self.roles[_impl(page)] = role
        page.on("load", lambda _page: self._count(page, "page loads"))

    def _count(self, page, kind: str, n: int = 1) -> None:
        self.counts[(self.roles.get(_impl(page), "other"), kind)] += n

    def install(self, monkeypatch) -> None:
        """Wrap Playwright's actions on Locator and Page for this test (monkeypatch undoes it)."""
        for cls, page_of in ((Locator, lambda loc: loc.page), (Page, lambda page: page)):
            for name in CLICKS + TOGGLES + TYPED + CHOICES + KEYS:
                if hasattr(cls, name):
                    monkeypatch.setattr(cls, name, self._wrap(getattr(cls, name), name, page_of))
            monkeypatch.setattr(cls, "dblclick", self._wrap(cls.dblclick, "dblclick", page_of))
        for name in LOADS:
            monkeypatch.setattr(Page, name, self._wrap(getattr(Page, name), name, lambda p: p))

    def _wrap(self, action, name: str, page_of):
        meter = self

        def counted(target, *args, **kwargs):
            kind, n = meter._kind(target, name, args, kwargs)
            result = action(target, *args, **kwargs)
            if n:
                meter._count(page_of(target), kind, n)
            return result

        counted.__wrapped__ = action
        return counted

    @staticmethod
    def _kind(target, name: str, args, kwargs) -> tuple[str, int]:
        if name in CLICKS:
            return "clicks", 1
        if name == "dblclick":
            return "clicks", 2
        if name in LOADS:
            return "goto/reload", 1
        if name in TOGGLES:
            # Locator.check(); Page.check(selector): a box already as wanted is not clicked.
            if isinstance(target, Page):
                was = target.is_checked(args[0] if args else kwargs["selector"])
            else:
                was = target.is_checked()
            wanted = {"check": True, "uncheck": False}.get(name)
            if wanted is None:  # set_checked(checked) / set_checked(selector, checked)
                wanted = kwargs.get("checked", args[-1] if args else True)
            return "clicks", int(was != wanted)
        if name in TYPED:
            return "typed fields", 1
        if name in CHOICES:
            return "list choices", 1
        key = kwargs.get("key", args[-1] if args else "")
        return ("clicks", 1) if key in CLICK_KEYS else ("other keys", 1)

    def total(self, kind: str, role: str | None = None) -> int:
        return sum(n for (r, k), n in self.counts.items() if k == kind and role in (None, r))

    def summary(self, prefix: str = "journey") -> str:
        roles = list(dict.fromkeys(self.roles.values()))

        def line(kind: str) -> str:
            per_role = ", ".join(f"{role} {self.total(kind, role)}" for role in roles)
            return f"{kind} {self.total(kind)} ({per_role})"

        kinds = ["clicks", "typed fields", "list choices", "page loads", "goto/reload"]
        if self.total("other keys"):
            kinds.append("other keys")
        lines = [("of the page loads, " if kind == "goto/reload" else "") + line(kind)
                 for kind in kinds]  # fmt: skip
        text = f"{prefix}: " + ";\n  ".join(lines)
        for heading, items in (("timings", self.timings), ("details", self.notes)):
            if items:
                text += f"\n{heading}: " + ";\n  ".join(f"{k}: {v}" for k, v in items.items())
        return text

    # --- timing ------------------------------------------------------------------------------

    @contextmanager
    def tap_to_paint(self, page: Page, label: str):
        """Time the last click in the block to the first paint after the htmx swap it caused."""
        page.evaluate(_ARM_SWAP)
        yield
        done = page.locator("html[data-meter-painted]")
        expect(done).to_have_count(1)
        tap, painted = page.evaluate(
            "() => [window.__meterTap, Number(document.documentElement.dataset.meterPainted)]"
        )
        page.evaluate("() => { delete document.documentElement.dataset.meterPainted; }")
        self.timings[label] = f"{painted - tap:.0f} ms tap to painted swap"

    @contextmanager
    def tap_to_load(self, page: Page, label: str):
        """Time the last click in the block to the load (and first paint) of the next document."""
        page.evaluate(_ARM_NAVIGATION)
        yield
        page.wait_for_load_state()
        tap, origin, loaded, painted = page.evaluate(_READ_NAVIGATION)
        if tap is None or origin < tap:
            self.timings[label] = "not measured (no click in the block led to a new page)"
            return
        text = f"{origin + loaded - tap:.0f} ms tap to next page loaded"
        if painted is not None:
            text += f" (first contentful paint at {origin + painted - tap:.0f} ms)"
        self.timings[label] = text


_ARM_SWAP = """() => {
  window.__meterTap = null;
  delete document.documentElement.dataset.meterPainted;
  document.addEventListener('click', e => { window.__meterTap = e.timeStamp; }, true);
  document.addEventListener('htmx:afterSwap', function painted() {
    if (window.__meterTap === null) return;
    document.removeEventListener('htmx:afterSwap', painted);
    // The swapped content is in the document; rAF runs before the next paint, a task queued
    // from it after that paint.
    requestAnimationFrame(() => setTimeout(() => {
      document.documentElement.dataset.meterPainted = String(performance.now());
    }));
  });
}"""

_ARM_NAVIGATION = """() => {
  sessionStorage.removeItem('meterTap');
  document.addEventListener('click', e => {
    sessionStorage.setItem('meterTap', String(performance.timeOrigin + e.timeStamp));
  }, true);
}"""

_READ_NAVIGATION = """() => {
  const tap = sessionStorage.getItem('meterTap');
  sessionStorage.removeItem('meterTap');
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return [tap === null ? null : Number(tap), performance.timeOrigin, nav.loadEventEnd,
          fcp ? fcp.startTime : null];
}"""
