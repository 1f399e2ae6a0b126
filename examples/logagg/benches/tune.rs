//! The tuner harness for logagg, run by `cargo bench --bench tune -- <command>`.

tuner::main!(logagg::catalog());
