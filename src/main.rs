//! The tuner binary: tuner's own catalog, registered through the same
//! entry point a user's harness uses.

tuner::main!(tuner_experiments::catalog());
