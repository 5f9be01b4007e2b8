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


def section(page: Path, heading: str) -> str:
    """The text of a page from ``heading`` (a whole line) to the next heading of the same level."""
    text = page.read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n")
    level = heading.split()[0]
    end = text.find(f"\n{level} ", start + len(heading) + 2)
    return text[start:end if end != -1 else len(text)]


def code_blocks(text: str, language: str) -> list[str]:
    return [token.content for token in PARSER.parse(text) if token.type == "fence" and token.info.strip() == language]


def test_the_readme_sets_up_each_system_with_plain_commands():
    from utils.tools.wheels import PYTHONS, SYSTEMS

    setup = section(REPO_ROOT / "README.md", "## Run it")
    [windows] = code_blocks(setup, "powershell")
    assert "make" not in windows.split() and ".venv/bin/" not in windows and "/" not in windows
    assert [line.split()[0] for line in windows.splitlines()] == ["py", r".venv\Scripts\python", r".venv\Scripts\jupyter"]
    [posix] = code_blocks(setup, "bash")
    assert not any(line.startswith("make") for line in posix.splitlines())
    assert all(block.rstrip().endswith("Exercise9.01.ipynb") for block in (windows, posix))
    # The systems and Python versions are the ones check-wheels checks, no more and no fewer.
    assert [line[2:] for line in setup.splitlines() if line.startswith("- ")] == [system.name for system in SYSTEMS]
    assert f"Python {', '.join(PYTHONS[:-1])} or {PYTHONS[-1]}" in setup


def test_every_make_target_has_its_plain_command_in_the_instructors_page():
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    [phony] = [line for line in makefile.splitlines() if line.startswith(".PHONY:")]
    table = section(REPO_ROOT / "docs" / "instructors.md", "## Make targets and their plain commands")
    rows = {line.split("|")[1].strip(): line.split("|")[2] for line in table.splitlines() if line.startswith("| `make ")}
    assert set(rows) == {f"`make {target}`" for target in phony.split()[1:]}
    assert all("make " not in command.replace("`make lint`", "") for command in rows.values())


def test_every_equivalent_mutant_testing_md_lists_belongs_to_a_covered_module_and_says_why():
    from mutation import MODULES, listed_equivalents, module_name

    listed = listed_equivalents()
    assert listed, "docs/testing.md lists the equivalent mutants make mutation counts as killed"
    for mutant, (module, reason) in listed.items():
        assert module in MODULES and mutant.startswith(module_name(module) + ".x_"), mutant
        assert len(reason.split()) >= 4, f"{mutant}: say why no test can kill it"
