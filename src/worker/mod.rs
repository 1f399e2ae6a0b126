//! The worker process, `<binary> worker` (hidden): reads one [`RunSpec`] as
//! JSON on stdin, runs it and prints one [`RunOutput`](crate::protocol::RunOutput) as JSON on stdout.
//! The runner re-executes its own binary as the worker, so a user's harness
//! built with `tuner::main!` measures the user's workloads the same way.
//!
//! Order matters: the allocator was fixed by the environment before the
//! first allocation; then the worker proves which allocator serves it,
//! builds a rayon pool (and a tokio runtime) of exactly the point's thread
//! count (`setup`), builds the workload inside the pool and measures it
//! (`timed`). A spec that carries a profile request runs a profiling pass
//! instead (`profiled`), with the same set-up.

mod profiled;
mod setup;
mod timed;

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context as _;
use tuner_api::Catalog;

use crate::protocol::{RunSpec, PROTOCOL_VERSION};

pub fn main(catalog: &Catalog) -> ExitCode {
    let json = read_spec().and_then(|spec| match &spec.profile {
        None => Ok(serde_json::to_string(&timed::run(&spec, catalog)?)?),
        Some(request) => Ok(serde_json::to_string(&profiled::run(
            &spec, request, catalog,
        )?)?),
    });
    match json {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn fail(e: &anyhow::Error) -> ExitCode {
    eprintln!("tuner worker: error: {e:#}");
    ExitCode::FAILURE
}

fn read_spec() -> anyhow::Result<RunSpec> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("reading the run spec")?;
    let spec: RunSpec = serde_json::from_str(&input).context("parsing the run spec")?;
    anyhow::ensure!(
        spec.protocol == PROTOCOL_VERSION,
        "the runner speaks worker protocol {}, this worker {PROTOCOL_VERSION}: build both from one tuner version",
        spec.protocol
    );
    Ok(spec)
}
