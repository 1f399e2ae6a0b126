//! Splitting one run across machines and joining the pieces (issue 13):
//! a shard is a deterministic share of the schedule ([`Shard`]), run on
//! whatever fans jobs out (a CI matrix, a Kubernetes Indexed Job, a Slurm
//! array) and recorded with the machine it ran on ([`machine`]);
//! [`merge()`] joins shards into one results file whose statistics treat
//! the machine as a block. tuner never schedules machines itself.

pub mod machine;
mod merge;
pub mod notes;
mod spec;

pub(crate) use merge::copy_profiles;
pub use merge::{merge, MergeInfo, MergeSource, Merged};
pub use spec::{shared_seed, Shard, ShardArg, SplitBy};
