//! Statistics over processes (provisional; the full engine replaces this).

mod bootstrap;
mod summary;

pub use bootstrap::ratio_of_medians;
pub use summary::{Interval, Summary};
