//! Reports on a trained candidate, computed from its validation predictions: model
//! quality (`quality.json`). Plain data in and out; the server writes and serves them.

mod curves;
mod quality;

pub use curves::{Calibration, PrCurve, Roc};
pub use quality::{quality, Quality, QualityInput};
pub use quality::{Confusion, Fit, GainLift, MetricSummary, PerClass, Residuals, ThresholdRow};
