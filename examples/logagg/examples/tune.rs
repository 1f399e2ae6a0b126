//! The same harness as an example binary:
//! `cargo run --release -p logagg --example tune -- <command>`.

tuner::main!(logagg::catalog().bench(tuner_experiments::mergesort::bench()));
