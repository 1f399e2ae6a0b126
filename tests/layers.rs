//! The layers of `src/` as ARCHITECTURE.md writes them down: a module
//! imports only modules of lower layers. Test code is exempt (it may use
//! `fixtures` and whatever it checks), and so is `lib.rs`, which only
//! re-exports.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `module → layer`, read from the table under `## Layers`.
fn layers(architecture: &str) -> BTreeMap<String, u32> {
    let mut out = BTreeMap::new();
    let section = architecture
        .split("## Layers")
        .nth(1)
        .expect("ARCHITECTURE.md has a Layers section");
    for line in section.lines().take_while(|l| !l.starts_with("## ")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Some(layer) = cells.get(1).and_then(|c| c.parse::<u32>().ok()) else {
            continue;
        };
        for module in cells[2].split_whitespace() {
            out.insert(module.trim_matches('`').to_string(), layer);
        }
    }
    out
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The top-level modules `text` names as `crate::x`, its test code cut.
fn imports(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut found = Vec::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("");
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let group = group.split('}').next().unwrap_or("");
                found.extend(
                    group
                        .split(',')
                        .map(|m| m.trim().split("::").next().unwrap_or("").to_string()),
                );
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.push(name);
            }
        }
    }
    found.retain(|m| !m.is_empty());
    found
}

/// Files that only tests compile (declared under `#[cfg(test)]`).
fn test_only(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    name == "tests.rs"
        || name == "testing.rs"
        || path.components().any(|c| c.as_os_str() == "simulation")
}

/// Imports that run back up: `file: a (layer i) imports b (layer j ≥ i)`.
fn violations(src: &Path, layers: &BTreeMap<String, u32>) -> Vec<String> {
    let mut out = Vec::new();
    for path in sources(src) {
        let rel = path.strip_prefix(src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if matches!(top.as_str(), "lib" | "main" | "fixtures") || test_only(&path) {
            continue;
        }
        let Some(&mine) = layers.get(&top) else {
            out.push(format!("{}: module `{top}` is in no layer", rel.display()));
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        for module in imports(&text) {
            if module == top || module == "__private" {
                continue;
            }
            match layers.get(&module) {
                Some(&theirs) if theirs < mine => {}
                Some(&theirs) => out.push(format!(
                    "{}: `{top}` (layer {mine}) imports `{module}` (layer {theirs})",
                    rel.display()
                )),
                None if module == "fixtures" => out.push(format!(
                    "{}: `{top}` uses the test fixtures outside its tests",
                    rel.display()
                )),
                None => {}
            }
        }
    }
    out.sort();
    out
}

#[test]
fn no_module_imports_its_own_layer_or_one_above() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let layers = layers(&text);
    assert!(layers.len() >= 25, "{layers:?}");
    let found = violations(&root.join("src"), &layers);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn an_import_running_back_up_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("runner")).unwrap();
    std::fs::write(
        src.join("runner/mod.rs"),
        "use crate::results::Results;\nuse crate::{config::Plan, report};\n#[cfg(test)]\nmod tests { use crate::cli; }\n",
    )
    .unwrap();
    std::fs::write(src.join("config.rs"), "// crate::runner in a comment\n").unwrap();
    std::fs::write(src.join("odd.rs"), "").unwrap();
    let table = "## Layers\n\n| layer | modules |\n|--:|---|\n| 1 | `config` |\n| 6 | `results` |\n| 8 | `runner` |\n| 10 | `report` |\n| 13 | `cli` |\n";
    let found = violations(src, &layers(table));
    assert_eq!(
        found,
        [
            "odd.rs: module `odd` is in no layer",
            "runner/mod.rs: `runner` (layer 8) imports `report` (layer 10)",
        ],
        "{found:?}"
    );
}
