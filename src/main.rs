//! The tuner binary: tuner's own catalog and allocator, as `tuner::main!`
//! would set them up, but with the plain command line: unlike a bench
//! harness, `tuner` without a command prints its usage.

#[global_allocator]
static GLOBAL: tuner::__private::Switchable = tuner::__private::Switchable;

fn main() -> std::process::ExitCode {
    tuner::__private::binary_main(&tuner_experiments::catalog())
}
