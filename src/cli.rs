//! The command line: parsed once into typed options, then dispatched to
//! [`crate::commands`]; no clap type goes past this module. Exit codes are
//! decided in one place, [`crate::exit::Failure::code`].

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use tuner_api::Catalog;

use crate::ab::{AbOptions, LayoutMode, Metric, Pin, Setting};
use crate::commands::{self, AbCommand, Judging, RunOptions, RunSource};
use crate::compare::{FailOn, OutputFormat};
use crate::config::ProfileKind;
use crate::export::ExportFormat;
use crate::runner::Confirm;
use crate::shards::{ShardArg, SplitBy};

const EXIT_CODES: &str = "Exit codes:
  0  success (for compare: nothing --fail-on asked to fail on)
  1  a run failed (the report is still written), the comparison found what --fail-on names, or another runtime error
  2  usage or config error (bad arguments, unreadable or invalid config or results file, a run folder that cannot be resumed)
  3  the runs cannot be compared (different workloads, no point in common, or builds that speak different worker protocols)
  4  --require-quiet: the machine stayed busy (what was measured is saved; --resume carries on)
  130, 143  Ctrl-C or SIGTERM stopped the run (what was measured is saved; --resume finishes it)";

#[derive(Parser)]
#[command(
    name = "tuner",
    version,
    about = "Runs runtime-tuning experiments from TOML configs, one process per run, and writes honest reports.",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every point of a config's matrix and write a report.
    #[command(after_help = EXIT_CODES)]
    Run {
        /// The experiment config (TOML).
        #[arg(required_unless_present = "resume")]
        config: Option<PathBuf>,
        /// Carry on a run that was stopped (Ctrl-C, a kill, a power cut)
        /// from its folder's journal, instead of starting one from a config.
        #[arg(long, value_name = "RUN_DIR", conflicts_with_all = ["config", "dry_run", "profile"])]
        resume: Option<PathBuf>,
        /// Print the matrix, a cost estimate and the smallest change each
        /// family of comparisons can detect; run nothing.
        #[arg(long)]
        dry_run: bool,
        /// Run a design that cannot call even a doubling against its
        /// baseline (refused otherwise).
        #[arg(long, conflicts_with = "dry_run")]
        force: bool,
        /// No progress output.
        #[arg(long, short)]
        quiet: bool,
        /// After the run, compare it with this earlier run (results.json) and write compare.md.
        #[arg(long, value_name = "RESULTS")]
        baseline: Option<PathBuf>,
        /// Changes within ±this are noise (with --baseline).
        #[arg(long, value_name = "PERCENT", default_value = "1%", value_parser = parse_percent, requires = "baseline")]
        noise: f64,
        /// What makes the comparison exit with 1 (with --baseline).
        #[arg(long, value_enum, default_value_t = FailOnArg::Never, requires = "baseline")]
        fail_on: FailOnArg,
        /// Profiles to make, replacing the config's [profile] kinds: a
        /// comma-separated list of spans, cpu, timeline, heap, diff (or all, none).
        #[arg(long, value_name = "KINDS", value_parser = parse_kinds)]
        profile: Option<ProfileKinds>,
        /// Run one share of the schedule: INDEX/COUNT (1-based, e.g. 2/3),
        /// `auto` (a Slurm array's SLURM_ARRAY_TASK_ID and _COUNT) or
        /// `auto/COUNT` (a Kubernetes Indexed Job's JOB_COMPLETION_INDEX).
        /// Join the shards with `tuner merge`.
        #[arg(long, value_name = "SHARD", conflicts_with = "resume")]
        shard: Option<ShardArg>,
        /// Split by rounds of processes (every shard measures every point)
        /// or by blocks of points (comparisons across blocks are confounded
        /// with the machine).
        #[arg(long, value_enum, default_value_t = SplitArg::Rounds, requires = "shard")]
        shard_by: SplitArg,
        /// The machine's name to record (default: the host name and a hash
        /// of /etc/machine-id); merged shards are compared within machines.
        #[arg(long, value_name = "NAME")]
        machine: Option<String>,
        /// How long the run may take (e.g. 20m; overrides [measure] budget):
        /// fewer processes per point are planned to fit it, and no run
        /// starts that would end past it.
        #[arg(long, value_name = "DURATION", value_parser = parse_budget)]
        budget: Option<std::time::Duration>,
        /// Stop at the first failed run (the report is still written).
        #[arg(long)]
        fail_fast: bool,
        /// Run a round again when the machine contended for one of its
        /// processes (others' CPU, steal, throttling, run delay its own
        /// threads do not explain): at most N rounds; auto: a quarter of
        /// the most processes, rounded up; off: keep contended rounds.
        #[arg(long, value_name = "N|auto|off", default_value = "off", value_parser = parse_reruns)]
        rerun_contended: Reruns,
        /// Run the main parameter set's pick and its baseline again in N
        /// fresh adjacent pairs after the rounds, and make their paired
        /// change the headline; auto: 10 pairs when an adaptive run
        /// stopped a point early (its pick is chosen on the processes that
        /// measure it), else none; off: none.
        #[arg(long, value_name = "N|auto|off", default_value = "auto", value_parser = parse_confirm)]
        confirm: Confirm,
        /// Stop (exit 4) when the machine stays busy: the first 3
        /// processes all contended, or over 25% of a round's.
        #[arg(long)]
        require_quiet: bool,
        /// Also write report.html: one self-contained page, charts and
        /// flame graphs inline (as `[report] html = true`).
        #[arg(long)]
        html: bool,
        /// When the run finishes, add it to this history database (see `tuner history`).
        #[arg(long, value_name = "DB", conflicts_with = "dry_run")]
        history: Option<PathBuf>,
    },
    /// Join the shards of a run (`run --shard`) into one results file and report.
    #[command(after_help = EXIT_CODES)]
    Merge {
        /// Shard folders, results.json or journal.jsonl files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// The folder to write results.json and report.md into (new or empty).
        #[arg(long, short)]
        output: PathBuf,
    },
    /// List the experiments, their variants and parameters.
    List,
    /// Re-render report.md from a results.json (or an interrupted run's journal.jsonl).
    Report {
        /// results.json, journal.jsonl, or the run folder that holds one
        results: PathBuf,
        /// Also write report.html: one self-contained page, charts and
        /// flame graphs inline (as `[report] html = true`).
        #[arg(long)]
        html: bool,
    },
    /// Compare two runs of one experiment: per point, the change with its interval and a verdict.
    #[command(after_help = EXIT_CODES)]
    Compare(CompareArgs),
    /// Run every point under two builds in adjacent pairs and judge head against base (a CI gate).
    #[command(after_help = EXIT_CODES)]
    Ab(AbArgs),
    /// Write a run's per-process results for other tools (benchstat, spreadsheets).
    Export {
        /// results.json or journal.jsonl
        results: PathBuf,
        #[arg(long, value_enum, default_value_t = ExportFormatArg::Gobench)]
        format: ExportFormatArg,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Keep runs in a history database, find the commits where a point's time changed, draw a dashboard.
    #[command(subcommand, after_help = EXIT_CODES)]
    History(HistoryCommand),
    /// Run one spec (read as JSON on stdin) in this process.
    #[command(hide = true)]
    Worker,
}

#[derive(Args)]
struct CompareArgs {
    /// The earlier run: results.json (or journal.jsonl).
    base: PathBuf,
    /// The run to judge against it.
    head: PathBuf,
    /// Changes within ±this are noise: never "faster" or "slower".
    #[arg(long, value_name = "PERCENT", default_value = "1%", value_parser = parse_percent)]
    noise: f64,
    #[command(flatten)]
    verdict: VerdictArgs,
}

/// What a comparison fails on and how it is printed (`compare`, `ab`).
#[derive(Args)]
struct VerdictArgs {
    /// What makes the comparison exit with 1.
    #[arg(long, value_enum, default_value_t = FailOnArg::Never)]
    fail_on: FailOnArg,
    /// How to print the comparison on standard output.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
    /// Also write the markdown comparison to this file.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct AbArgs {
    /// The experiment config (TOML); or a gate's ab.json (or journal.jsonl)
    /// to judge again without running.
    config: PathBuf,
    /// The base build: a tuner binary, or a harness made with tuner::main!
    /// (default: this binary).
    #[arg(long, value_name = "EXE")]
    base: Option<PathBuf>,
    /// The head build (default: this binary).
    #[arg(long, value_name = "EXE")]
    head: Option<PathBuf>,
    /// A setting of the base side that replaces a single value of the
    /// config, e.g. steps=1000 or allocator=mimalloc; KEY*=F scales every
    /// value of a numeric parameter, e.g. steps*=1.01 (repeatable).
    #[arg(long = "base-set", value_name = "KEY=VALUE", value_parser = Setting::parse)]
    base_set: Vec<Setting>,
    /// A setting of the head side, as --base-set.
    #[arg(long = "head-set", value_name = "KEY=VALUE", value_parser = Setting::parse)]
    head_set: Vec<Setting>,
    /// Pairs per point (each pair: one process of each build); the most a
    /// sequential gate runs.
    #[arg(long, default_value_t = 48, value_parser = clap::value_parser!(u32).range(1..))]
    pairs: u32,
    /// Look at every point each this many pairs and stop it once its
    /// verdict is clear (a group-sequential plan that keeps the false-alarm
    /// rate); 0: run every pair, then judge (fixed design, Holm).
    #[arg(long, value_name = "PAIRS", default_value_t = 12)]
    look_every: u32,
    /// Start no new round of pairs after this long (e.g. 60s); the gate
    /// judges the pairs it has.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    max_time: Option<std::time::Duration>,
    /// The workers' memory layout.
    #[arg(long, value_enum, default_value_t = LayoutArg::Paired)]
    layout: LayoutArg,
    /// Pin each point's workers to as many CPUs as its threads, the last
    /// of this list (e.g. 2-3); auto: of the CPUs this process may use,
    /// when two or more; none: leave them to the kernel. A point is never
    /// pinned to fewer CPUs than its threads while more may be used.
    #[arg(long, value_name = "CPUS", default_value = "auto", value_parser = Pin::parse)]
    pin: Pin,
    /// The figure judged: wall time per operation, CPU time per operation,
    /// or auto, per point: CPU time where every process ran one busy
    /// thread (it leaves out the time other processes took the CPU), else
    /// wall time.
    #[arg(long, value_enum, default_value_t = MetricArg::Auto)]
    metric: MetricArg,
    /// Changes within ±this are noise. Half the smallest change the gate
    /// must catch: a change as large as the band is called only half the time.
    #[arg(long, value_name = "PERCENT", default_value = "0.5%", value_parser = parse_percent)]
    noise: f64,
    #[command(flatten)]
    verdict: VerdictArgs,
    /// No progress output.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum MetricArg {
    /// Wall time per operation.
    Time,
    /// CPU time per operation (all threads).
    Cpu,
    /// Per point: CPU time where every process ran one busy thread, else wall time.
    Auto,
}

impl From<MetricArg> for Metric {
    fn from(a: MetricArg) -> Metric {
        match a {
            MetricArg::Time => Metric::Time,
            MetricArg::Cpu => Metric::Cpu,
            MetricArg::Auto => Metric::Auto,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum LayoutArg {
    /// ASLR off; one random stack offset per pair, shared by its two processes.
    Paired,
    /// The kernel's ASLR: every process its own random layout.
    Random,
    /// ASLR off and no offsets: every process the same layout.
    Fixed,
}

impl From<LayoutArg> for LayoutMode {
    fn from(a: LayoutArg) -> LayoutMode {
        match a {
            LayoutArg::Paired => LayoutMode::Paired,
            LayoutArg::Random => LayoutMode::Random,
            LayoutArg::Fixed => LayoutMode::Fixed,
        }
    }
}

impl AbArgs {
    fn into_command(self) -> AbCommand {
        AbCommand {
            options: AbOptions {
                config: self.config,
                base: self.base,
                head: self.head,
                base_set: self.base_set,
                head_set: self.head_set,
                pairs: self.pairs,
                look_every: self.look_every,
                alpha: crate::stats::VerdictRule::default().alpha,
                max_time: self.max_time,
                layout: self.layout.into(),
                pin: self.pin,
            },
            judging: Judging::new(self.noise, self.verdict.fail_on.into()),
            metric: self.metric.into(),
            format: self.verdict.format.into(),
            output: self.verdict.output,
            quiet: self.quiet,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOnArg {
    /// Never (exit 0 whatever the verdicts).
    Never,
    /// A point whose time is slower beyond the noise band, after Holm's correction.
    Slower,
    /// Slower, or more allocations or bytes per operation at any point.
    Regression,
    /// Any faster or slower verdict or any change of an exact count (for A/A checks).
    AnyChange,
}

impl From<FailOnArg> for FailOn {
    fn from(a: FailOnArg) -> FailOn {
        match a {
            FailOnArg::Never => FailOn::Never,
            FailOnArg::Slower => FailOn::Slower,
            FailOnArg::Regression => FailOn::Regression,
            FailOnArg::AnyChange => FailOn::AnyChange,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    /// Aligned columns, like benchstat.
    Text,
    /// A markdown table.
    Md,
    /// The comparison as JSON.
    Json,
}

impl From<FormatArg> for OutputFormat {
    fn from(a: FormatArg) -> OutputFormat {
        match a {
            FormatArg::Text => OutputFormat::Text,
            FormatArg::Md => OutputFormat::Markdown,
            FormatArg::Json => OutputFormat::Json,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum SplitArg {
    /// Every COUNT-th round of processes: every shard measures every point.
    Rounds,
    /// A contiguous block of points per shard.
    Points,
}

impl From<SplitArg> for SplitBy {
    fn from(a: SplitArg) -> SplitBy {
        match a {
            SplitArg::Rounds => SplitBy::Rounds,
            SplitArg::Points => SplitBy::Points,
        }
    }
}

/// `--rerun-contended`: rounds to run again (`None`: auto).
#[derive(Clone, Copy, Debug)]
struct Reruns(Option<u32>);

/// A count of rounds, `auto` or `off` (0).
fn parse_reruns(s: &str) -> Result<Reruns, String> {
    match s {
        "off" => Ok(Reruns(Some(0))),
        "auto" => Ok(Reruns(None)),
        _ => s
            .parse()
            .map(|n| Reruns(Some(n)))
            .map_err(|_| format!("`{s}` is not a count of rounds, `auto` or `off`")),
    }
}

/// A count of pairs, `auto` or `off`.
fn parse_confirm(s: &str) -> Result<Confirm, String> {
    match s {
        "off" | "0" => Ok(Confirm::Off),
        "auto" => Ok(Confirm::Auto),
        _ => s
            .parse()
            .map(Confirm::Pairs)
            .map_err(|_| format!("`{s}` is not a count of pairs, `auto` or `off`")),
    }
}

/// `20m`, `1h 30m`: a duration longer than zero.
fn parse_budget(s: &str) -> Result<std::time::Duration, String> {
    match humantime::parse_duration(s) {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err("a budget must be longer than 0s".into()),
        Err(e) => Err(format!("`{s}` is not a duration like 20m or 1h: {e}")),
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormatArg {
    /// The Go benchmark data format: one line per process, readable by benchstat.
    Gobench,
    /// One row per process, the point's coordinates as columns.
    Csv,
    /// The CSV's rows as JSON objects.
    Json,
    /// Bencher's metric format (BMF JSON): each point's median ns/op as latency, with its interval.
    Bmf,
    /// One CSV row for the run, a column per point, as Apache Otava reads.
    Otava,
}

impl From<ExportFormatArg> for ExportFormat {
    fn from(a: ExportFormatArg) -> ExportFormat {
        match a {
            ExportFormatArg::Gobench => ExportFormat::Gobench,
            ExportFormatArg::Csv => ExportFormat::Csv,
            ExportFormatArg::Json => ExportFormat::Json,
            ExportFormatArg::Bmf => ExportFormat::Bmf,
            ExportFormatArg::Otava => ExportFormat::Otava,
        }
    }
}

/// `1%`, `0.5%` or `2`: a non-negative percentage.
fn parse_percent(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .trim_end_matches('%')
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a percentage such as 1% or 0.5%"))?;
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("`{s}` must be a percentage ≥ 0"))
    }
}

/// The kinds `--profile` names (one value, so clap keeps the list whole).
#[derive(Clone, Debug)]
struct ProfileKinds(Vec<ProfileKind>);

fn parse_kinds(text: &str) -> Result<ProfileKinds, String> {
    let kinds = ProfileKind::parse_list(text)?;
    let has = |k| kinds.contains(&k);
    if has(ProfileKind::Diff) && !has(ProfileKind::Cpu) && !has(ProfileKind::Spans) {
        return Err("diff compares the cpu or spans profiles of each point with the baseline's: add cpu or spans (e.g. `--profile cpu,diff`)".into());
    }
    Ok(ProfileKinds(kinds))
}

/// `tuner history …` (src/history).
#[derive(Subcommand)]
enum HistoryCommand {
    /// Add runs (run folders, results.json or journal.jsonl) to the history; a run already there is skipped.
    Add {
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        #[command(flatten)]
        db: HistoryDb,
        /// The commit the runs measured (default: the results' own, else `git rev-parse HEAD`).
        #[arg(long)]
        commit: Option<String>,
        /// The commit's first parent (default: `git rev-parse COMMIT^`).
        #[arg(long)]
        parent: Option<String>,
        /// The commit's subject line (default: `git log`).
        #[arg(long)]
        message: Option<String>,
        /// The point every other is divided by in the same run: `baseline`
        /// (the config's baseline, with two points or more), `none`, or
        /// axis=value pairs.
        #[arg(long, value_name = "POINT", default_value = "baseline", value_parser = crate::history::Reference::parse)]
        reference: crate::history::Reference,
        /// The Cargo.lock of the build measured, for the machine fingerprint (default: this checkout's).
        #[arg(long, value_name = "FILE")]
        cargo_lock: Option<PathBuf>,
    },
    /// Find change points in every point's series (E-Divisive means) and report them.
    #[command(after_help = EXIT_CODES)]
    Check {
        #[command(flatten)]
        db: HistoryDb,
        #[command(flatten)]
        method: ChangeMethod,
        /// What makes the check exit with 1: a change, or a slowdown, among the last --recent runs.
        #[arg(long, value_enum, default_value_t = FailOnChangeArg::Never)]
        fail_on: FailOnChangeArg,
        /// --fail-on looks at change points whose first run is among the last this many runs.
        #[arg(long, value_name = "RUNS", default_value_t = 10)]
        recent: usize,
        /// Also write the markdown report here.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Print a point's series run by run, with its change points.
    Show {
        /// The point: axis=value pairs, e.g. `variant=v3 threads=2`.
        #[arg(required = true, value_parser = crate::history::parse_selection)]
        point: Vec<Vec<(String, String)>>,
        /// Only this experiment's series.
        #[arg(long)]
        experiment: Option<String>,
        #[command(flatten)]
        db: HistoryDb,
        #[command(flatten)]
        method: ChangeMethod,
    },
    /// Write a static dashboard: a trend chart per point, change points marked, each run linked to its report.
    Site {
        /// The folder to write index.html and a page per point into.
        #[arg(long, short)]
        output: PathBuf,
        #[command(flatten)]
        db: HistoryDb,
        #[command(flatten)]
        method: ChangeMethod,
    },
}

#[derive(Args)]
struct HistoryDb {
    /// The history database.
    #[arg(long, value_name = "PATH", default_value = crate::history::commands::DEFAULT_DB)]
    db: PathBuf,
}

/// The change-point method's parameters.
#[derive(Args)]
struct ChangeMethod {
    /// A change point is kept when its t-test (Student's, pooled) gives p below this.
    #[arg(long, value_name = "P", default_value_t = crate::history::Settings::default().alpha)]
    alpha: f64,
    /// The fewest runs on each side of a change point.
    #[arg(long, value_name = "RUNS", default_value_t = crate::history::Settings::default().min_size, value_parser = parse_min_runs)]
    min_runs: usize,
    /// The figure followed: wall time per operation, or CPU time per
    /// operation (steadier for single-threaded workloads on a busy machine).
    #[arg(long, value_enum, default_value_t = HistoryMetricArg::Time)]
    metric: HistoryMetricArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum HistoryMetricArg {
    /// Wall time per operation.
    Time,
    /// CPU time per operation (all threads).
    Cpu,
}

impl ChangeMethod {
    fn metric(&self) -> crate::history::Metric {
        match self.metric {
            HistoryMetricArg::Time => crate::history::Metric::Time,
            HistoryMetricArg::Cpu => crate::history::Metric::Cpu,
        }
    }
}

/// At least 2: a t-test needs two values a side.
fn parse_min_runs(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 2 => Ok(n),
        _ => Err(format!("`{s}` is not a whole number of runs ≥ 2")),
    }
}

impl ChangeMethod {
    fn settings(&self) -> crate::history::Settings {
        crate::history::Settings {
            alpha: self.alpha,
            min_size: self.min_runs,
            ..crate::history::Settings::default()
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOnChangeArg {
    /// Never (exit 0 whatever is found).
    Never,
    /// A change point either way.
    Change,
    /// A change point that made the point slower.
    Slower,
}

impl HistoryCommand {
    fn run(self) -> Result<(), crate::exit::Failure> {
        use crate::history::commands as history;
        match self {
            HistoryCommand::Add {
                inputs,
                db,
                commit,
                parent,
                message,
                reference,
                cargo_lock,
            } => history::add(
                &db.db,
                &inputs,
                &crate::history::AddOptions {
                    commit,
                    parent,
                    message,
                    reference,
                    cargo_lock,
                },
            ),
            HistoryCommand::Check {
                db,
                method,
                fail_on,
                recent,
                output,
            } => history::check(
                &db.db,
                &history::CheckOptions {
                    settings: method.settings(),
                    metric: method.metric(),
                    fail_on: match fail_on {
                        FailOnChangeArg::Never => history::FailOnChange::Never,
                        FailOnChangeArg::Change => history::FailOnChange::Change,
                        FailOnChangeArg::Slower => history::FailOnChange::Slower,
                    },
                    recent,
                    output,
                },
            ),
            HistoryCommand::Show {
                point,
                experiment,
                db,
                method,
            } => history::show(
                &db.db,
                &point.concat(),
                experiment.as_deref(),
                &method.settings(),
                method.metric(),
            ),
            HistoryCommand::Site { output, db, method } => {
                history::site(&db.db, &output, &method.settings(), method.metric())
            }
        }
    }
}

/// Parses the command line (the program's name first) and runs it against
/// `catalog`: the experiments this binary carries.
pub(crate) fn main_from(catalog: &Catalog, args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    let result = match cli.command {
        Command::Run {
            config,
            resume,
            dry_run,
            force,
            quiet,
            baseline,
            noise,
            fail_on,
            profile,
            shard,
            shard_by,
            machine,
            budget,
            fail_fast,
            rerun_contended,
            confirm,
            require_quiet,
            html,
            history,
        } => commands::run(
            catalog,
            &RunOptions {
                source: match (resume, config) {
                    (Some(dir), _) => RunSource::Resume(dir),
                    (None, config) => RunSource::Config(config.unwrap_or_default()),
                },
                dry_run,
                force,
                quiet,
                baseline: baseline.as_deref(),
                judging: Judging::new(noise, fail_on.into()),
                profile: profile.as_ref().map(|k| k.0.as_slice()),
                shard: shard.map(|s| (s, shard_by.into())),
                machine,
                budget,
                fail_fast,
                rerun_contended: rerun_contended.0,
                confirm,
                require_quiet,
                html,
                history,
            },
        ),
        Command::Merge { inputs, output } => commands::merge(&inputs, &output),
        Command::List => {
            crate::console::out(&crate::catalog::listing(catalog));
            Ok(())
        }
        Command::Report { results, html } => commands::report(&results, html),
        Command::Compare(args) => commands::compare(
            &args.base,
            &args.head,
            &Judging::new(args.noise, args.verdict.fail_on.into()),
            args.verdict.format.into(),
            args.verdict.output.as_deref(),
        ),
        Command::Ab(args) => commands::ab(catalog, &args.into_command()),
        Command::Export {
            results,
            format,
            output,
        } => commands::export(&results, format.into(), output.as_deref()),
        Command::History(command) => command.run(),
        Command::Worker => return crate::worker::main(catalog),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            failure.report();
            ExitCode::from(failure.code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diff_without_cpu_or_spans_is_refused() {
        assert!(parse_kinds("diff").is_err());
        assert!(parse_kinds("cpu,diff").is_ok());
        assert!(parse_kinds("all").is_ok());
    }

    #[test]
    fn percentages_parse_with_or_without_the_sign() {
        assert_eq!(parse_percent("1%"), Ok(1.0));
        assert_eq!(parse_percent("0.5"), Ok(0.5));
        assert_eq!(parse_percent(" 2.5 % "), Ok(2.5));
        assert!(parse_percent("-1%").is_err());
        assert!(parse_percent("one").is_err());
    }

    #[test]
    fn budgets_are_durations_longer_than_zero() {
        assert_eq!(
            parse_budget("20m"),
            Ok(std::time::Duration::from_secs(1200))
        );
        assert_eq!(
            parse_budget("1h 30m"),
            Ok(std::time::Duration::from_secs(5400))
        );
        assert!(parse_budget("0s").is_err());
        assert!(parse_budget("soon").is_err());
    }

    #[test]
    fn the_cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
