"""The README and docs/: every relative link points to a file that exists, every #anchor to a heading."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt

from utils.evaluation import BEATS_NAIVE_BELOW, WORSE_THAN_NAIVE_ABOVE, naive_comparison
from utils.files import REPO_ROOT

PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
PARSER = MarkdownIt("commonmark").enable("table")


def links(page: Path) -> list[str]:
    """Every link and image target in a Markdown page (code blocks and code spans excluded)."""
    found = []
    for block in PARSER.parse(page.read_text(encoding="utf-8")):
        for token in block.children or []:
            if token.type == "link_open":
                found.append(token.attrs["href"])
            elif token.type == "image":
                found.append(token.attrs["src"])
    return found


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    tokens = PARSER.parse(page.read_text(encoding="utf-8"))
    slugs, count = set(), {}
    for heading, content in zip(tokens, tokens[1:]):
        if heading.type == "heading_open":
            slug = re.sub(r"[^\w\- ]", "", content.content.strip().lower()).replace(" ", "-")
            slugs.add(f"{slug}-{count[slug]}" if slug in count else slug)  # a repeated heading gets -1, -2, ...
            count[slug] = count.get(slug, 0) + 1
    return slugs


def relative_links() -> list[tuple[Path, str]]:
    return [(page, target) for page in PAGES for target in links(page)
            if not urlsplit(target).scheme and not target.startswith("//")]


def broken(page: Path, target: str) -> str | None:
    """Why ``target``, as written in ``page``, leads nowhere; None when it is fine."""
    shown = page.relative_to(REPO_ROOT) if page.is_relative_to(REPO_ROOT) else page
    parts = urlsplit(target)
    path = (page.parent / unquote(parts.path)).resolve() if parts.path else page
    if not path.exists():
        return f"{shown}: link {target!r} points to {path} that does not exist"
    if parts.fragment and path.suffix == ".md" and parts.fragment not in anchors(path):
        return f"{shown}: link {target!r} names no heading of {path.name}"
    return None


def test_the_pages_exist_and_link_each_other():
    names = {page.relative_to(REPO_ROOT).as_posix() for page in PAGES}
    assert {"README.md", "docs/instructors.md", "docs/speed.md", "docs/evaluation.md", "docs/testing.md"} <= names
    readme_targets = {target for page, target in relative_links() if page.name == "README.md"}
    assert {"docs/instructors.md", "docs/speed.md", "docs/evaluation.md", "docs/testing.md"} <= readme_targets


@pytest.mark.parametrize(("page", "target"), relative_links(),
                         ids=[f"{page.name}->{target}" for page, target in relative_links()])
def test_relative_link_leads_somewhere(page, target):
    assert broken(page, target) is None, broken(page, target)


def test_evaluation_page_states_the_verdict_rule_as_the_code_does():
    page = (REPO_ROOT / "docs" / "evaluation.md").read_text(encoding="utf-8")
    rows = {f"| below {BEATS_NAIVE_BELOW:.2f} | {naive_comparison(0.5)} |",
            f"| {BEATS_NAIVE_BELOW:.2f} to {WORSE_THAN_NAIVE_ABOVE:.2f} | {naive_comparison(1.0)} |",
            f"| above {WORSE_THAN_NAIVE_ABOVE:.2f} | {naive_comparison(1.5)} |"}
    assert rows <= set(page.splitlines())


def test_a_broken_link_and_a_missing_anchor_are_caught(tmp_path):
    (tmp_path / "other.md").write_text("# Quick runs\n\ntext\n")
    page = tmp_path / "page.md"
    page.write_text("See [there](missing.md), [ok](other.md#quick-runs), [not a heading](other.md#slow-runs) "
                    "and ![figure](gone.png). `[in code](nowhere.md)`\n\n```\n[in a block](nowhere.md)\n```\n")
    assert links(page) == ["missing.md", "other.md#quick-runs", "other.md#slow-runs", "gone.png"]
    assert [target for target in links(page) if broken(page, target)] == ["missing.md", "other.md#slow-runs",
                                                                          "gone.png"]


def test_every_equivalent_mutant_testing_md_lists_belongs_to_a_covered_module_and_says_why():
    from mutation import MODULES, listed_equivalents, module_name

    listed = listed_equivalents()
    assert listed, "docs/testing.md lists the equivalent mutants make mutation counts as killed"
    for mutant, (module, reason) in listed.items():
        assert module in MODULES and mutant.startswith(module_name(module) + ".x_"), mutant
        assert len(reason.split()) >= 4, f"{mutant}: say why no test can kill it"
