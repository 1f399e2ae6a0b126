//! The tuner harness for logagg. `cargo bench --bench tune` runs every
//! experiment's default matrix and prints a table; `cargo test --benches`
//! runs each point once; `cargo bench --bench tune -- <command>` is tuner's
//! command line (`run configs/logagg.toml`, `list`, `report`, `compare` …).
//! Beside logagg, tuner's own mergesort, to compare this harness with the
//! tuner binary on the same code.

tuner::main!(logagg::catalog().bench(tuner_experiments::mergesort::bench()));
