//! The block-design analysis (issue 18): placeholder, documented below.

mod adaptive;
mod detectable;
mod dunnett;
mod family;
mod fit;
mod model;
mod moderate;
#[cfg(test)]
mod simulation;
mod table;

pub use adaptive::{
    look, AdaptivePlan, AdaptiveSettings, AdaptiveState, Call, ComparisonState, Event, PointState,
    Race, Status,
};
pub use detectable::{DesignPower, FamilyKind};
pub use family::{Design, DesignComparison, Family, FamilyAnalysis};
pub use model::{Method, Spread, CHOSEN};
pub use table::BlockTable;
