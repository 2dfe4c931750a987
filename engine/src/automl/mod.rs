//! AutoML: feature pipelines, learners, metrics, search and ensembling.

pub mod features;
pub mod job;
pub mod key_counts;
pub mod learners;
pub mod matrix;
pub mod metrics;
pub mod model;
pub mod pipeline;
pub mod split;
