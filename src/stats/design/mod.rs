//! The block-design analysis (issue 18): placeholder, documented below.

mod dunnett;
mod fit;
mod model;
mod moderate;
mod table;

pub use model::{Method, Spread, CHOSEN};
pub use table::BlockTable;
