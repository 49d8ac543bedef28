"""What a browser test made its users do, counted as it happened; and how long two updates took.

Counts: for the length of one test, Playwright's own actions (Locator and Page: click, tap,
check, fill, select_option, ...) are wrapped, so every action any helper or step performs is
counted where it is performed, for the role whose tab it was (new_tab registers each tab). A check
or uncheck of a box already in that state is no click and is not counted (Playwright does not
click then either). Page loads are the tab's "load" events: full documents (links, form posts
with their redirect, goto, reload), never an htmx swap; those the test itself asked for (goto,
reload: a user typing an address or refreshing, or a tab coming back after time passed) are
counted apart as well.

Steps: the test names each step of its story as it comes to it (meter.step("baseline scores"));
every count is kept under the step it happened in as well, and step_table() lays them out, one
line per step with each role's clicks, typed fields and page loads, so a total can be traced to
the pages that cost it.

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
    by_step: Counter = field(default_factory=Counter)  # (step, role, kind) -> n
    current: str = "(before the first step)"
    timings: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    # --- counting ----------------------------------------------------------------------------

    def watch(self, page: Page, role: str) -> None:
        self.roles[_impl(page)] = role
        page.on("load", lambda _page: self._count(page, "page loads"))

    def step(self, name: str) -> None:
        """What is counted from now on belongs to this step of the story (as well as to the
        totals). A name used again adds to that step."""
        self.current = name

    def _count(self, page, kind: str, n: int = 1) -> None:
        role = self.roles.get(_impl(page), "other")
        self.counts[(role, kind)] += n
        self.by_step[(self.current, role, kind)] += n

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

    def in_step(self, step: str, kind: str, role: str | None = None) -> int:
        return sum(
            n
            for (s, r, k), n in self.by_step.items()
            if (s, k) == (step, kind) and role in (None, r)
        )

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

    def step_table(self, kinds=("clicks", "typed fields", "page loads")) -> str:
        """One line per step (in story order): each kind's count per role, then the total."""
        roles = list(dict.fromkeys(self.roles.values()))
        steps = list(dict.fromkeys(step for step, _, _ in self.by_step))
        short = {"clicks": "clicks", "typed fields": "typed", "page loads": "loads"}
        heads = [f"{short.get(k, k)} {r[:5]}" for k in kinds for r in [*roles, "all"]]
        width = max(len(s) for s in [*steps, "step"])
        cols = [max(7, len(h)) for h in heads]
        out = [
            "  ".join(
                ["step".ljust(width), *(h.rjust(c) for h, c in zip(heads, cols, strict=True))]
            )
        ]

        def cell(step, role, kind):
            if role == "all":
                return sum(self.by_step[(step, r, kind)] for r in roles)
            return self.by_step[(step, role, kind)]

        for step in [*steps, None]:
            if step is None:
                values = [self.total(k, None if r == "all" else r)
                          for k in kinds for r in [*roles, "all"]]  # fmt: skip
                label = "total"
            else:
                values = [cell(step, r, k) for k in kinds for r in [*roles, "all"]]
                label = step
            row = [
                label.ljust(width),
                *(str(v or "·").rjust(c) for v, c in zip(values, cols, strict=True)),
            ]
            out.append("  ".join(row))
        return "\n".join(out)

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
