//! Reports on a trained candidate, computed from its validation predictions: model
//! quality (`quality.json`). Plain data in and out; the server writes and serves them.

mod bias;
mod bias_report;
mod curves;
mod drift;
mod explainability;
mod quality;

pub use bias::{post_training, pre_training, BiasMetric, BiasRows};
pub use bias_report::{bias_report, BiasConfig, BiasReport};
pub use curves::{Calibration, PrCurve, Roc};
pub use drift::{column_drift, drift_report, ColumnDrift, DriftReport};
pub use explainability::{explainability, Explainability, ExplainabilityInput};
pub use explainability::{Dependence, GlobalShap, RowExplanation};
pub use quality::{quality, Quality, QualityInput};
pub use quality::{Confusion, Fit, GainLift, MetricSummary, PerClass, Residuals, ThresholdRow};
