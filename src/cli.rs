//! The command line: parsed once into typed options, then dispatched.
//! Exit codes: 0 success, 2 usage or config error, 1 anything else.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{self, ConfigError, ProfileKind};
use crate::runner::{self, ProgressMode, WorkerExe};

#[derive(Parser)]
#[command(
    name = "tuner",
    version,
    about = "Runs runtime-tuning experiments from TOML configs, one process per run, and writes honest reports."
)]
#[command(after_help = "Exit codes: 0 success; 1 runtime failure; 2 usage or config error.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every point of a config's matrix and write a report.
    Run {
        /// The experiment config (TOML).
        config: PathBuf,
        /// Print the matrix and a cost estimate; run nothing.
        #[arg(long)]
        dry_run: bool,
        /// No progress output.
        #[arg(long, short)]
        quiet: bool,
        /// Profiles to make, replacing the config's [profile] kinds: a
        /// comma-separated list of spans, cpu, timeline, heap, diff (or all, none).
        #[arg(long, value_name = "KINDS", value_parser = parse_kinds)]
        profile: Option<ProfileKinds>,
    },
    /// List the experiments, their variants and parameters.
    List,
    /// Re-render report.md from a results.json (or an interrupted run's journal.jsonl).
    Report {
        /// results.json or journal.jsonl
        results: PathBuf,
    },
    /// Run one spec (read as JSON on stdin) in this process.
    #[command(hide = true)]
    Worker,
}

/// The kinds `--profile` names (one value, so clap keeps the list whole).
#[derive(Clone, Debug)]
struct ProfileKinds(Vec<ProfileKind>);

fn parse_kinds(text: &str) -> Result<ProfileKinds, String> {
    ProfileKind::parse_list(text).map(ProfileKinds)
}

/// An error at the edge, with the exit code it maps to.
pub enum Failure {
    Config(ConfigError),
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run {
            config,
            dry_run,
            quiet,
            profile,
        } => run(
            &config,
            dry_run,
            quiet,
            profile.as_ref().map(|k| k.0.as_slice()),
        ),
        Command::List => {
            print!("{}", crate::catalog::listing());
            Ok(())
        }
        Command::Report { results } => report(&results),
        Command::Worker => return crate::worker::main(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Config(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Other(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(
    path: &Path,
    dry_run: bool,
    quiet: bool,
    profile: Option<&[ProfileKind]>,
) -> Result<(), Failure> {
    let mut plan = config::load(path).map_err(Failure::Config)?;
    if let Some(kinds) = profile {
        plan.profile.set_kinds(kinds);
    }
    if dry_run {
        print!("{}", crate::catalog::dry_run(&plan));
        return Ok(());
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Config(ConfigError::unreadable(path, &e)))?;
    let mode = if quiet {
        ProgressMode::Quiet
    } else {
        ProgressMode::detect()
    };
    let exe = WorkerExe::current().map_err(|e| Failure::Other(e.into()))?;
    let finished = runner::run(&plan, path, &text, &exe, mode)?;
    let failed = finished
        .results
        .runs
        .iter()
        .filter(|r| r.output().is_none())
        .count();
    println!("report: {}", finished.dir.join("report.md").display());
    if failed > 0 {
        eprintln!(
            "warning: {failed} of {} runs failed; see the report",
            finished.results.runs.len()
        );
    }
    Ok(())
}

fn report(path: &Path) -> Result<(), Failure> {
    let results = crate::results::Results::load(path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    crate::report::write(dir, &results)?;
    println!("report: {}", dir.join("report.md").display());
    Ok(())
}
