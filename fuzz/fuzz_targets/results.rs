//! Any bytes as a results file and as a journal: loading returns results
//! or an error, never panics; results that load save and load again, and
//! are rendered as `report`, `export` and `compare` would, which must not
//! panic either.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use tuner::__private::export::{self, ExportFormat};
use tuner::__private::results::{Form, Results};
use tuner::__private::stats::CompareSettings;

/// One directory the report is written into, over and over.
static DIR: LazyLock<tempfile::TempDir> =
    LazyLock::new(|| tempfile::tempdir().expect("a temp dir"));

fuzz_target!(|data: &[u8]| {
    for form in [Form::Json, Form::Journal] {
        let Ok(results) = Results::from_bytes("fuzz", data, form) else {
            continue;
        };
        let saved = serde_json::to_vec(&results).expect("results serialize");
        if let Err(e) = Results::from_bytes("saved", &saved, Form::Json) {
            panic!("loaded results do not load again once saved: {e}");
        }
        for format in [ExportFormat::Gobench, ExportFormat::Csv, ExportFormat::Json] {
            let _ = export::export(&results, format);
        }
        let settings = CompareSettings::default();
        if let Ok(report) = tuner::__private::compare::compare_runs(&results, "a", &results, "b", &settings) {
            let _ = tuner::__private::compare::markdown(&report);
        }
        let _ = tuner::__private::report::write(DIR.path(), &results);
    }
});
