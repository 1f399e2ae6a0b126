//! The same harness as a plain binary: `cargo run --release -p logagg -- <command>`.

tuner::main!(logagg::catalog());
