"""axe-core in the browser tests: every page a user reaches is checked once for accessibility.

axe-core (vendor/axe.min.js, MPL-2.0, from the npm registry) is a test asset, never served. It is
put into the page through the DevTools protocol (page.evaluate), which the app's CSP does not
block, so the page under test is exactly the one users get.

A page is checked once per kind: its path with the numbers taken out, plus the trial's phase on a
trial page (the same page shows different things in each phase). The gate fails on any serious or
critical violation, listing each with the rule, what it means and where.
"""

from dataclasses import dataclass, field
from pathlib import Path
from weakref import WeakKeyDictionary

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
GATE = ("critical", "serious")
IMPACTS = ("critical", "serious", "moderate", "minor")

_KEY = """() => {
  const step = document.querySelector('[aria-current="step"]');
  const path = location.pathname.replace(/\\d+/g, 'N');
  return step ? `${path} (${step.textContent.trim()})` : path;
}"""

_RUN = """async () => {
  // Colours mid-transition (a button just pressed) are neither the old nor the new state.
  const settled = Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)));
  await Promise.race([settled, new Promise(done => setTimeout(done, 1000))]);
  const result = await window.axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ')),
  }));
}"""


@dataclass
class AxeAudit:
    """The violations axe found, page by page (in the order the pages were first seen)."""

    pages: dict[str, list[dict]] = field(default_factory=dict)

    def check(self, page, name: str | None = None) -> None:
        """Check the page unless one of its kind was; `name` marks a state worth its own check."""
        page.wait_for_load_state()
        key = page.evaluate(_KEY) + (f" [{name}]" if name else "")
        if key in self.pages:
            return
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate("() => {" + AXE_SOURCE + "\n}")
        self.pages[key] = page.evaluate(_RUN)

    def watch(self, page) -> None:
        """Pages of this tab are checked wherever the test calls check_page(page)."""
        _WATCHED[page] = self

    def counts(self) -> str:
        """Per page: how many violations (elements) of each impact, as a plain table."""
        lines = [f"{'page':60} " + " ".join(f"{i:>13}" for i in IMPACTS)]
        for key, violations in self.pages.items():
            cells = []
            for impact in IMPACTS:
                found = [v for v in violations if v["impact"] == impact]
                cells.append(f"{len(found):>4} ({sum(len(v['nodes']) for v in found):>3} el)")
            lines.append(f"{key:60} " + " ".join(f"{c:>13}" for c in cells))
        return "\n".join(lines)

    def failures(self) -> list[str]:
        """Each serious or critical violation: page, impact, rule, what it means, where."""
        return [
            f"{key}: {v['impact']} {v['id']} – {v['help']} – at {', '.join(v['nodes'][:5])}"
            + (f" and {len(v['nodes']) - 5} more" if len(v["nodes"]) > 5 else "")
            for key, violations in self.pages.items()
            for v in violations
            if v["impact"] in GATE
        ]


_WATCHED: WeakKeyDictionary = WeakKeyDictionary()


def check_page(page, name: str | None = None) -> None:
    """Check the page with its tab's audit, if the test watches this tab."""
    audit = _WATCHED.get(page)
    if audit is not None:
        audit.check(page, name)
