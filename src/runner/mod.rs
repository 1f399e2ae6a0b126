//! The parent side of a run: one worker process per scheduled slot, each
//! result journaled before the next starts, progress shown as it goes.
//! Workers die with the runner, never outlive their timeout, and leave no
//! scratch files (`child`, `scratch`); Ctrl-C saves what was measured
//! (`interrupt`) and `--resume` carries a stopped run on ([`resume()`]).
//! The rounds may stop points early (`rounds`), and the pick may then be
//! confirmed in fresh pairs (`confirm`). A [`Batch`] narrows a run to a
//! shard and bounds it by a budget or the first failure.

mod capture;
mod child;
mod classify;
mod command_outcome;
mod confirm;
mod interrupt;
mod profiles;
mod progress;
mod resume;
mod rounds;
mod run;
mod scratch;
mod spawn;

pub(crate) use confirm::Confirm;
pub(crate) use interrupt::Interrupt;
pub(crate) use progress::Progress;
pub(crate) use progress::ProgressMode;
pub(crate) use resume::{resume, Resumable};
pub(crate) use run::{run, Batch, CutShort, Finished, Session};
pub(crate) use scratch::ScratchRoot;
pub(crate) use spawn::WorkerExe;
pub(crate) use spawn::{execute, Launcher};
