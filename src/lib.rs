//! tuner as a library: the pieces the CLI is built from, each a module named for its concept.

pub mod stats;
