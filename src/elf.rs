//! What kind of program an executable is, read from its ELF file: whether
//! a preloaded allocator (`LD_PRELOAD`) can serve its allocations. The
//! dynamic loader honours `LD_PRELOAD` only for dynamically linked
//! programs, and even then only calls that go through the C library's
//! `malloc` reach the preloaded one: Go's runtime manages its own heap,
//! and a program that links an allocator of its own (a Rust program with
//! jemalloc or mimalloc as its global allocator) keeps using it.

use std::path::Path;

use object::{Object, ObjectSymbol};
use serde::{Deserialize, Serialize};

/// How a program allocates, as far as its file tells.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProgramKind {
    /// Dynamically linked, without an allocator of its own: a preloaded
    /// `malloc` serves it.
    Dynamic,
    /// Statically linked: no dynamic loader runs, so `LD_PRELOAD` is ignored.
    Static,
    /// A Go program: the Go runtime allocates its heap itself.
    Go,
    /// Carries an allocator of its own (named by its symbols).
    OwnAllocator { allocator: String },
    /// Not an ELF executable tuner can read (a script, another format).
    Unknown { why: String },
}

/// Symbols that show a program carries an allocator of its own.
const OWN_ALLOCATORS: [(&str, &str); 6] = [
    ("_rjem_malloc", "jemalloc"),
    ("je_malloc", "jemalloc"),
    ("mi_malloc", "mimalloc"),
    ("tc_malloc", "tcmalloc"),
    ("rpmalloc", "rpmalloc"),
    ("sn_malloc", "snmalloc"),
];

impl ProgramKind {
    /// Whether a preloaded allocator serves the program's allocations:
    /// `None` when tuner cannot tell.
    pub fn preload_reaches(&self) -> Option<bool> {
        match self {
            ProgramKind::Dynamic => Some(true),
            ProgramKind::Static | ProgramKind::Go | ProgramKind::OwnAllocator { .. } => Some(false),
            ProgramKind::Unknown { .. } => None,
        }
    }

    /// Why the preload does or does not reach it, for the report.
    pub fn describe(&self) -> String {
        match self {
            ProgramKind::Dynamic => {
                "dynamically linked: a preloaded allocator serves its C-library allocations".into()
            }
            ProgramKind::Static => {
                "statically linked: the dynamic loader never runs, so LD_PRELOAD is ignored".into()
            }
            ProgramKind::Go => "a Go program: the Go runtime allocates its heap itself; a preloaded \
                                malloc could serve only cgo's C allocations"
                .into(),
            ProgramKind::OwnAllocator { allocator } => format!(
                "carries its own allocator ({allocator}), which serves its allocations whatever is preloaded"
            ),
            ProgramKind::Unknown { why } => why.clone(),
        }
    }
}

/// Reads the program at `path`.
pub fn inspect(path: &Path) -> ProgramKind {
    let data = match std::fs::read(path) {
        Ok(data) => data,
        Err(e) => {
            return ProgramKind::Unknown {
                why: format!("{} could not be read: {e}", path.display()),
            }
        }
    };
    if let Some(line) = data.strip_prefix(b"#!") {
        let line = line.split(|&b| b == b'\n').next().unwrap_or_default();
        let interpreter = String::from_utf8_lossy(line).trim().to_string();
        return ProgramKind::Unknown {
            why: format!(
                "a script run by `{interpreter}`: tuner cannot tell which program does the allocating"
            ),
        };
    }
    match object::File::parse(&*data) {
        Ok(file) if file.format() == object::BinaryFormat::Elf => kind_of(&file),
        _ => ProgramKind::Unknown {
            why: format!("{} is not an ELF executable", path.display()),
        },
    }
}

fn kind_of(file: &object::File) -> ProgramKind {
    let has = |section: &str| file.section_by_name(section).is_some();
    if has(".go.buildinfo") || has(".note.go.buildid") {
        return ProgramKind::Go;
    }
    if !has(".interp") {
        return ProgramKind::Static;
    }
    let defined = file
        .symbols()
        .chain(file.dynamic_symbols())
        .filter(|s| s.is_definition())
        .filter_map(|s| s.name().ok().map(str::to_string));
    for name in defined {
        if let Some((_, allocator)) = OWN_ALLOCATORS.iter().find(|(sym, _)| *sym == name) {
            return ProgramKind::OwnAllocator {
                allocator: allocator.to_string(),
            };
        }
        if name == "malloc" {
            return ProgramKind::OwnAllocator {
                allocator: "its own malloc".into(),
            };
        }
    }
    ProgramKind::Dynamic
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuner_itself_carries_its_own_allocators() {
        // tuner links jemalloc and mimalloc with prefixed symbols and is
        // dynamically linked: the preload would reach only its C code.
        let me = std::env::current_exe().unwrap();
        assert_eq!(
            inspect(&me),
            ProgramKind::OwnAllocator {
                allocator: "jemalloc".into()
            }
        );
    }

    #[test]
    fn scripts_and_other_files_are_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("run.sh");
        std::fs::write(&script, "#!/bin/sh -e\nexec ./prog\n").unwrap();
        let kind = inspect(&script);
        assert_eq!(kind.preload_reaches(), None);
        assert!(kind.describe().contains("`/bin/sh -e`"), "{kind:?}");
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "hello").unwrap();
        assert!(inspect(&text)
            .describe()
            .contains("is not an ELF executable"));
        assert!(inspect(&dir.path().join("gone"))
            .describe()
            .contains("could not be read"));
    }
}
