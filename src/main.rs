//! The tuner binary: installs the switchable allocator, then hands over to the CLI.

#[global_allocator]
static GLOBAL: tuner::alloc::Switchable = tuner::alloc::Switchable;

fn main() -> std::process::ExitCode {
    tuner::cli::main()
}
