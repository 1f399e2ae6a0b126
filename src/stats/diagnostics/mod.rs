//! Stability diagnostics for one point × metric, as short footnotes: each
//! check is a test of its own null hypothesis at a small level (1% by
//! default), so a stable point rarely gets a footnote, and a check the
//! data cannot support (too few processes or samples) is skipped.
//!
//! - `footnote`: the footnotes, their settings, and `diagnose`.
//! - `outlier`: Grubbs' test for an outlier process.
//! - `spread`: the spread between processes with outliers set aside, its
//!   lower confidence bound, and how many processes an interval needs.
//! - `drift`: the seasonal Kendall trend test within processes.
//! - `variance`: the one-way random-effects F-test of a process effect.

mod drift;
mod footnote;
mod outlier;
mod spread;
mod variance;

pub(crate) use footnote::{diagnose, DiagnosticSettings, Footnote};
