//! Memory across runs: an SQLite history of every run with its commit,
//! machine fingerprint and per-process values (`db`, `add`), read back as
//! one series per point (`series`), searched for change points by
//! E-Divisive means (`edivisive`, `check`), printed (`show`) and drawn as
//! a static dashboard (`site`). `commands` carries out `tuner history`.

mod add;
mod check;
pub(crate) mod commands;
mod db;
mod edivisive;
mod series;
mod show;
#[cfg(test)]
mod simulation;
mod site;

pub(crate) use add::{parse_selection, AddOptions, Reference};
pub(crate) use edivisive::Settings;
pub(crate) use series::Metric;
