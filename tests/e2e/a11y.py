"""Page checks shared by the end-to-end tests: axe-core's accessibility rules (vendored in
tests/e2e/vendor, see its README), the 390 px phone width, and no untranslated interface text
on a page shown in Chinese or Finnish."""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "vendor"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"  # 4.14.1
PHONE = {"width": 390, "height": 844}
# Where the screenshots of the journeys go (.ci/run keeps them as CI artifacts).
ARTIFACTS = Path(
    os.environ.get("ACCORD_E2E_ARTIFACTS") or Path(__file__).resolve().parent / "artifacts"
)


@functools.cache
def axe_source() -> str:
    data = (VENDOR / "axe.min.js").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert digest == AXE_SHA256, f"tests/e2e/vendor/axe.min.js is not the vendored file ({digest})"
    return data.decode("utf-8")


# axe runs in the page; its results come back as plain data. Only WCAG A/AA rules and best
# practices are run (what the issue asks for), on the whole document.
_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), impact: n.impact,
                              summary: n.failureSummary || ''})),
  }));
}"""


def axe_violations(page, *, impacts=("serious", "critical")) -> list[dict]:
    """axe-core's violations on the page as it is now, of the given impacts."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol: the page's CSP (no inline scripts) does not
        # apply, and axe itself needs no eval.
        page.evaluate(axe_source())
    return [v for v in page.evaluate(_RUN_AXE) if v["impact"] in impacts]


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['url']})")
        for node in v["nodes"][:8]:
            summary = " ".join(node["summary"].split())
            lines.append(f"      at {node['target']}: {summary[:300]}")
        if len(v["nodes"]) > 8:
            lines.append(f"      ... and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def assert_accessible(page, where: str = "") -> None:
    """No serious or critical axe-core violation on the page."""
    violations = axe_violations(page)
    assert not violations, (
        f"accessibility violations on {where or page.url}:\n{describe_violations(violations)}"
    )


def page_width(page) -> int:
    return page.evaluate("() => document.scrollingElement.scrollWidth")


def assert_fits_phone(page, where: str = "") -> None:
    """At 390 px wide the page does not scroll sideways (tables scroll in their own box)."""
    width = page_width(page)
    if width > PHONE["width"]:
        culprits = page.evaluate(_WIDE_ELEMENTS, PHONE["width"])
        raise AssertionError(
            f"{where or page.url} is {width}px wide at {PHONE['width']}px; widest elements:\n  "
            + "\n  ".join(culprits)
        )


_WIDE_ELEMENTS = """(limit) => {
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > limit + 1 && r.width > 0) {
      const cls = typeof el.className === 'string' ? el.className.trim() : '';
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (cls ? '.' + cls.split(/\\s+/).join('.') : '');
      out.push(`${name} right=${Math.round(r.right)} width=${Math.round(r.width)}`);
    }
  }
  return out.slice(0, 12);
}"""


# --- Untranslated interface text ---------------------------------------------------------
# The visible text of the page, less what people wrote or named (marked translate="no" or
# data-i18n-ignore in the templates) and code: each text node, and the whole text of each
# small element (a sentence with a link inside is several text nodes but one msgid).
_VISIBLE_TEXT = """() => {
  const SKIP = 'script,style,noscript,template,code,pre,kbd,samp,textarea,' +
               '[translate="no"],[data-i18n-ignore],[hidden],[aria-hidden="true"]';
  const visible = (el) => el && !el.closest(SKIP) && el.getClientRects().length > 0 &&
                          getComputedStyle(el).visibility !== 'hidden';
  const texts = new Set();
  const add = (t) => {
    t = (t || '').replace(/\\s+/g, ' ').trim();
    if (/[A-Za-z]{2}/.test(t)) texts.add(t);
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (visible(node.parentElement)) add(node.nodeValue);
  }
  const SMALL = 'p,li,label,legend,h1,h2,h3,h4,h5,h6,th,td,dt,dd,button,a,summary,caption,' +
                'option,span,strong,em,small';
  for (const el of document.body.querySelectorAll(SMALL)) {
    if (visible(el) && el.textContent.length < 600) add(el.innerText);
  }
  const LABELLED = '[placeholder],[aria-label],[title],[alt],input[type=submit],input[type=button]';
  for (const el of document.body.querySelectorAll(LABELLED)) {
    if (el.closest(SKIP)) continue;
    for (const attr of ['placeholder', 'aria-label', 'title', 'alt']) add(el.getAttribute(attr));
    if (el.matches('input[type=submit],input[type=button]')) add(el.value);
  }
  add(document.title);
  return [...texts];
}"""

_PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|%[sdfr]")
_TAG = re.compile(r"<[^>]+>")


def _clean(text: str) -> str:
    return " ".join(_TAG.sub("", text).split())


@functools.cache
def english_interface_strings(language: str) -> tuple[list[str], list[re.Pattern]]:
    """The English texts (msgids) that a page in ``language`` must not show: every msgid of
    Accord's catalogue whose translation differs from the English or is missing or fuzzy, every
    string the code marks for translation that the catalogue lacks (makemessages, when GNU
    gettext is installed; their singular form only), and allauth's strings it translates.
    Plain strings are matched exactly; those with placeholders as patterns."""
    import shutil

    import allauth

    from accord.ops import catalogues

    folder = language.replace("-hans", "_Hans")
    keep: set[str] = set()
    seen: set[str] = set()
    for entry in catalogues.read_po(catalogues.catalogue_path(folder)):
        seen.add(entry.msgid)
        translated = entry.msgstrs and all(entry.msgstrs) and not entry.fuzzy
        if not translated or _clean(entry.msgstrs[0]) != _clean(entry.msgid):
            keep.add(entry.msgid)
            if entry.plural:
                keep.add(entry.plural)
    if shutil.which("xgettext"):
        keep |= {msgid for _ctx, msgid in catalogues.fresh_msgids(folder) if msgid not in seen}
    allauth_po = Path(allauth.__file__).parent / "locale" / folder / "LC_MESSAGES" / "django.po"
    if allauth_po.exists():
        for entry in catalogues.read_po(allauth_po):
            translated = entry.msgstrs and all(entry.msgstrs) and not entry.fuzzy
            if translated and _clean(entry.msgstrs[0]) != _clean(entry.msgid):
                keep.update(filter(None, (entry.msgid, entry.plural)))
    exact, patterns = [], []
    for msgid in keep:
        text = _clean(msgid)
        literal = _PLACEHOLDER.sub("", text)
        if len(re.findall(r"[A-Za-z]", literal)) < 2:
            continue  # only placeholders and punctuation: nothing to recognise
        if _PLACEHOLDER.search(text):
            if len(re.findall(r"[A-Za-z]", literal)) < 5:
                continue  # "%(a)s for %(b)s" would match people's own words
            literals = _PLACEHOLDER.split(text)
            body = "(.+?)".join(re.escape(p.replace("%%", "%")) for p in literals)
            patterns.append(re.compile(f"^{body}$"))
        else:
            exact.append(text.replace("%%", "%") if "%%" in text else text)
    return sorted(set(exact)), patterns


def untranslated_strings(page, language: str) -> list[str]:
    """The texts on ``page`` that are English interface strings in a ``language`` page."""
    if language == "en":
        return []
    exact, patterns = english_interface_strings(language)
    exact_set = set(exact)
    found = []
    for text in page.evaluate(_VISIBLE_TEXT):
        if text in exact_set or any(p.match(text) for p in patterns):
            found.append(text)
    return sorted(found)
