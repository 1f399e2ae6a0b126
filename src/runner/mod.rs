//! The parent side of a run: one worker process per scheduled slot, each
//! result journaled before the next starts, progress shown as it goes.

mod profiles;
mod progress;
mod run;
mod spawn;

pub use progress::ProgressMode;
pub use run::{run, Finished};
pub use spawn::{execute, execute_profile, WorkerExe};
