//! Any UTF-8 text as a config: validation returns a plan or an error with
//! a location, never panics or hangs; a plan that validates also expands
//! into the matrix `run --dry-run` prints.
#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;

static CATALOG: LazyLock<tuner::Catalog> = LazyLock::new(tuner_experiments::catalog);

fuzz_target!(|text: &str| {
    match tuner::config::parse(Path::new("fuzz.toml"), text, &CATALOG) {
        Ok(plan) => {
            let shown = tuner::catalog::dry_run(&plan);
            assert!(!shown.contains(": 0 points"), "validation let an empty matrix through");
        }
        Err(e) => {
            let shown = e.to_string();
            assert!(shown.starts_with("fuzz.toml:"), "{shown}");
        }
    }
});
