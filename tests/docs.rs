//! The README and the book under `docs/`: every relative link, image and
//! `{{#include}}` resolves (to a file, and a `#fragment` to a heading of
//! it), every page is in `SUMMARY.md`, the book builds with mdBook, the
//! README stays one short page, and its report excerpt is word for word
//! the report it cites. The checker is `tests/common/markdown.rs`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::markdown::{files, heading_id, heading_ids, problems};

/// The README's most lines (issue 21: a README that starts small).
const README_MAX_LINES: usize = 150;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every markdown page of the book's source, `SUMMARY.md` included.
fn book_sources() -> Vec<PathBuf> {
    files(&root().join("docs/src"), ".md")
}

#[test]
fn the_readme_and_the_book_have_sound_tables_links_and_includes() {
    let mut all = book_sources();
    assert!(all.len() >= 10, "book pages: {all:?}");
    all.push(root().join("README.md"));
    let found: Vec<String> = all.iter().flat_map(|p| problems(p)).collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_checker_finds_broken_anchors_images_and_includes() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.md");
    std::fs::write(
        dir.path().join("other.md"),
        "# Other\n\n## The gate: `tuner ab`\n\n## Limits\n\n## Limits\n",
    )
    .unwrap();
    std::fs::write(
        &page,
        "# Page\n\n\
         [good](other.md#the-gate-tuner-ab) [good](other.md#limits-1) [good](#page)\n\
         [bad anchor](other.md#the-gate) [bad self](#nowhere)\n\
         ![bad image](img/missing.png) [bad file](gone.md)\n\n\
         {{#include missing.md}}\n\n\
         {{#include other.md:2:3}}\n",
    )
    .unwrap();
    let found = problems(&page);
    let expect = [
        "page.md:7: includes missing.md, which is not there",
        "page.md:4: link to other.md#the-gate: no heading there has the id `the-gate`",
        "page.md:4: link to #nowhere: no heading there has the id `nowhere`",
        "page.md:5: link to img/missing.png, which is not there",
        "page.md:5: link to gone.md, which is not there",
    ];
    assert_eq!(found.len(), expect.len(), "{found:#?}");
    for (f, e) in found.iter().zip(expect) {
        assert!(f.ends_with(e), "{f}\n  expected to end with {e}");
    }
}

#[test]
fn an_included_page_is_checked_as_it_renders() {
    // A link that resolves from the included file's folder but not from
    // the page that includes it is broken in the built book.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("top.md"), "[up](sub/page.md)\n").unwrap();
    std::fs::write(dir.path().join("sub/page.md"), "{{#include ../top.md}}\n").unwrap();
    let found = problems(&dir.path().join("sub/page.md"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].ends_with("link to sub/page.md, which is not there"));
}

#[test]
fn heading_ids_follow_mdbook() {
    assert_eq!(heading_id("The gate: tuner ab"), "the-gate-tuner-ab");
    assert_eq!(
        heading_id("Cost: estimates and budgets"),
        "cost-estimates-and-budgets"
    );
    assert_eq!(heading_id("  A/B 1: 2048 → 64 "), "ab-1-2048--64");
    let ids = heading_ids("# Limits\n\n## Limits\n\n### `[command]` keys\n");
    for id in ["limits", "limits-1", "command-keys"] {
        assert!(ids.contains(id), "{id} in {ids:?}");
    }
}

/// The pages `SUMMARY.md` links, relative to `docs/src`.
fn summary_pages() -> Vec<PathBuf> {
    let text = std::fs::read_to_string(root().join("docs/src/SUMMARY.md")).unwrap();
    let mut pages: Vec<PathBuf> = text
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .map(PathBuf::from)
        .collect();
    pages.sort();
    pages
}

#[test]
fn every_page_of_the_book_is_in_its_summary() {
    let src = root().join("docs/src");
    let mut pages: Vec<PathBuf> = book_sources()
        .iter()
        .map(|p| p.strip_prefix(&src).unwrap().to_path_buf())
        .filter(|p| p != Path::new("SUMMARY.md"))
        .collect();
    pages.sort();
    assert_eq!(summary_pages(), pages);
}

#[test]
fn the_readme_starts_small() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines, at most {README_MAX_LINES}: move reference material into the book (docs/src)"
    );
    // The two set-up commands stay exactly as they are.
    for command in [
        "    cargo run --release -- run configs/mergesort.toml",
        "    cargo test --workspace",
    ] {
        assert!(
            readme.lines().any(|l| l.starts_with(command)),
            "README.md lost `{}`",
            command.trim()
        );
    }
}

const EXCERPT_START: &str = "<!-- excerpt of ";
const EXCERPT_END: &str = "<!-- excerpt end -->";

/// Problems with the excerpts in `text` (a README at `root`): each is
/// `<!-- excerpt of PATH: … -->`, quoted lines, `<!-- excerpt end -->`, and
/// each non-empty quoted line must be a line of PATH, in the same order.
fn excerpt_problems(text: &str, root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut lines = text.lines().enumerate();
    let mut excerpts = 0;
    while let Some((_, line)) = lines.by_ref().find(|(_, l)| l.starts_with(EXCERPT_START)) {
        excerpts += 1;
        let cited = line[EXCERPT_START.len()..]
            .split(": ")
            .next()
            .unwrap_or_default();
        let Ok(source) = std::fs::read_to_string(root.join(cited)) else {
            found.push(format!("the excerpt cites {cited}, which is not there"));
            continue;
        };
        let source: Vec<&str> = source.lines().collect();
        let mut at = 0;
        for (n, quoted) in lines.by_ref().take_while(|(_, l)| *l != EXCERPT_END) {
            let quoted = quoted.strip_prefix('>').unwrap_or(quoted);
            let quoted = quoted.strip_prefix(' ').unwrap_or(quoted);
            if quoted.trim().is_empty() {
                continue;
            }
            match source[at..].iter().position(|s| *s == quoted) {
                Some(i) => at += i + 1,
                None => found.push(format!(
                    "line {}: not a line of {cited} (after the excerpt's previous line): {quoted}",
                    n + 1
                )),
            }
        }
    }
    if excerpts == 0 {
        found.push("no report excerpt".into());
    }
    found
}

#[test]
fn the_readme_excerpt_is_word_for_word_its_report() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let found = excerpt_problems(&readme, root());
    assert!(
        found.is_empty(),
        "README.md: {}\n(a re-rendered report changes the excerpt: copy it again)",
        found.join("\n")
    );
}

#[test]
fn an_excerpt_that_strays_from_its_report_is_found() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.md"), "# R\n\none\ntwo\nthree\n").unwrap();
    let readme = |body: &str| format!("{EXCERPT_START}r.md: verbatim -->\n{body}{EXCERPT_END}\n");
    assert_eq!(
        excerpt_problems(&readme("> one\n>\n> three\n"), dir.path()),
        Vec::<String>::new()
    );
    let found = excerpt_problems(&readme("> one\n> 2\n> three\n"), dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("line 3: not a line of r.md"),
        "{found:?}"
    );
    // Out of order is not word for word either.
    assert_eq!(
        excerpt_problems(&readme("> three\n> one\n"), dir.path()).len(),
        1
    );
    assert_eq!(
        excerpt_problems("no excerpt\n", dir.path()),
        ["no report excerpt"]
    );
}

/// Whether `mdbook` runs; under `CI=true` it must (`.ci/run` installs it).
fn mdbook_present() -> bool {
    let present = Command::new("mdbook")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "mdbook is not installed, and CI=true: .ci/run installs it \
             (cargo install mdbook --locked --version <pinned>)"
        );
        eprintln!("SKIPPED the book's build: mdbook is not installed (cargo install mdbook)");
    }
    present
}

#[test]
fn the_book_builds_with_every_page_and_no_error() {
    if !mdbook_present() {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let built = Command::new("mdbook")
        .arg("build")
        .arg(root().join("docs"))
        .arg("--dest-dir")
        .arg(out.path())
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&built.stderr).to_string()
        + &String::from_utf8_lossy(&built.stdout);
    assert!(built.status.success(), "mdbook build docs failed:\n{log}");
    // mdBook logs a missing include as an ERROR yet exits 0.
    assert!(!log.contains("ERROR"), "mdbook build docs:\n{log}");
    for page in summary_pages() {
        let html = out.path().join(page.with_extension("html"));
        assert!(html.is_file(), "{} was not built:\n{log}", html.display());
    }
}
