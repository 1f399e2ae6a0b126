//! The parent side of a run: one worker process per scheduled slot, each
//! result journaled before the next starts, progress shown as it goes.
//! Workers die with the runner, never outlive their timeout, and leave no
//! scratch files (`child`, `scratch`); Ctrl-C saves what was measured
//! (`interrupt`) and `--resume` carries a stopped run on ([`resume()`]).

mod capture;
mod child;
mod classify;
mod interrupt;
mod profiles;
mod progress;
mod resume;
mod run;
mod scratch;
mod spawn;

pub(crate) use classify::EXIT_PROTOCOL_MISMATCH;
pub use interrupt::Interrupt;
pub(crate) use progress::Progress;
pub use progress::ProgressMode;
pub use resume::{resume, Resumable};
pub use run::{run, Finished, Session};
pub(crate) use scratch::ScratchRoot;
pub use spawn::WorkerExe;
pub(crate) use spawn::{execute, Launcher};
