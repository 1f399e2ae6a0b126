//! Splitting one run across machines and joining the pieces (issue 13):
//! a shard is a deterministic share of the schedule ([`Shard`]), run on
//! whatever fans jobs out (a CI matrix, a Kubernetes Indexed Job, a Slurm
//! array) and recorded with the machine it ran on (`environment::machine`);
//! [`merge()`] joins shards into one results file whose statistics treat
//! the machine as a block. tuner never schedules machines itself.

mod merge;
pub(crate) mod notes;

pub(crate) use crate::matrix::{shared_seed, Shard, ShardArg, SplitBy};
pub(crate) use merge::copy_profiles;
pub(crate) use merge::merge;
