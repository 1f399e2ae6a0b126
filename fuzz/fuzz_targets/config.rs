//! Any UTF-8 text as a config: validation returns a plan or an error with
//! a location, never panics or hangs; a plan that validates keeps the
//! promises validation makes (a safe name, a non-empty matrix whose
//! baseline is not excluded) and prints as `run --dry-run` prints it.
#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use tuner::matrix;

static CATALOG: LazyLock<tuner::Catalog> = LazyLock::new(tuner_experiments::catalog);

fuzz_target!(|text: &str| {
    match tuner::__private::config::parse(Path::new("fuzz.toml"), text, &CATALOG) {
        Ok(mut plan) => {
            let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
            assert!(
                plan.name.chars().all(safe) && !plan.name.starts_with(['.', '-']),
                "unsafe name {:?}",
                plan.name
            );
            assert!(!plan.report.dir.as_os_str().is_empty(), "empty report dir");
            let points = matrix::expand(&plan);
            assert!(!points.is_empty(), "every point excluded");
            assert!(
                matrix::baseline(&plan, &points).is_some(),
                "the baseline is excluded"
            );
            // The estimate looks for earlier runs under the report folder:
            // point it at one that does not exist, so only the floor counts.
            plan.report.dir = Path::new("/nonexistent/tuner-fuzz").to_path_buf();
            let estimate = tuner::__private::estimate::Estimate::of(&plan, &points, text);
            let planning = tuner::__private::estimate::Planning {
                estimate_s: estimate.round_s() * f64::from(plan.measure.processes),
                source: String::new(),
                budget_s: None,
                configured_processes: plan.measure.processes,
                planned_processes: plan.measure.processes,
            };
            let _ = tuner::__private::catalog::dry_run(&plan, &estimate, None, &planning);
        }
        Err(e) => {
            let shown = e.to_string();
            assert!(shown.starts_with("fuzz.toml:"), "{shown}");
        }
    }
});
