//! CreateAutoMLJob → `JobSpec`: a pure conversion. The request's words are parsed here
//! (enum names, lists, the channels); every rule about the job itself is the engine's
//! (`JobSpec::validate`, `validate_columns`), whose field names are mapped back to the
//! request's JSON paths. What needs the database (is the name taken, does the data set
//! exist) is checked apart, in `store`.

use glassbox_engine::automl::job::{Field, JobSpec, Mode, ALL_MODES};
use glassbox_engine::automl::learners::{Algorithm, ALL_ALGORITHMS};
use glassbox_engine::automl::metrics::{Metric, ALL_METRICS};
use glassbox_engine::data::{ColumnKind, ProblemType};
use glassbox_engine::EngineError;

use super::wire::{Channel, CreateJob};
use crate::error::ApiError;

/// A request error at a JSON path.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::bad_request(&e.field, e.message)
    }
}

const FEATURES: &str = "AutoMLJobConfig.CandidateGenerationConfig.FeatureSpecification";
const ALGORITHMS: &str = "AutoMLJobConfig.CandidateGenerationConfig.AlgorithmsConfig";

/// The request's JSON path for an engine field (`training` is the training channel's
/// position in InputDataConfig).
pub fn json_path(field: Field, training: usize) -> String {
    match field {
        Field::Target => format!("InputDataConfig[{training}].TargetAttributeName"),
        Field::ProblemType => "ProblemType".into(),
        Field::Metric => "AutoMLJobObjective.MetricName".into(),
        Field::Mode => "AutoMLJobConfig.Mode".into(),
        Field::MaxCandidates => "AutoMLJobConfig.CompletionCriteria.MaxCandidates".into(),
        Field::MaxRuntimePerCandidate => {
            "AutoMLJobConfig.CompletionCriteria.MaxRuntimePerTrainingJobInSeconds".into()
        }
        Field::MaxJobRuntime => {
            "AutoMLJobConfig.CompletionCriteria.MaxAutoMLJobRuntimeInSeconds".into()
        }
        Field::ValidationFraction => "AutoMLJobConfig.DataSplitConfig.ValidationFraction".into(),
        Field::Algorithms => ALGORITHMS.into(),
        Field::Features => format!("{FEATURES}.FeatureAttributeNames"),
        Field::FeatureTypes => format!("{FEATURES}.FeatureDataTypes"),
        Field::PositiveClass => "AutoMLJobObjective.PositiveClass".into(),
        Field::Data => format!("InputDataConfig[{training}].DataSource"),
    }
}

/// An engine error as a request error.
fn from_engine(e: EngineError, training: usize) -> FieldError {
    match e {
        EngineError::Invalid { field, message } => match Field::parse(&field) {
            Some(f) => FieldError::new(json_path(f, training), message),
            None => FieldError::new(field, message),
        },
        other => FieldError::new("InputDataConfig", other.to_string()),
    }
}

/// SageMaker's job name pattern: `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$`.
pub fn valid_job_name(n: &str) -> bool {
    let b = n.as_bytes();
    !b.is_empty()
        && b.len() <= 32
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

/// The training channel and the optional validation channel, with their positions.
pub struct Channels<'a> {
    pub training: (usize, &'a Channel),
    pub validation: Option<(usize, &'a Channel)>,
}

pub fn channels(req: &CreateJob) -> Result<Channels<'_>, FieldError> {
    if req.input.is_empty() || req.input.len() > 2 {
        return Err(FieldError::new(
            "InputDataConfig",
            "give one training channel and at most one validation channel",
        ));
    }
    let (mut training, mut validation) = (None, None);
    for (i, ch) in req.input.iter().enumerate() {
        let kind = ch.channel_type.as_deref().unwrap_or("training");
        let slot = match kind {
            "training" => &mut training,
            "validation" => &mut validation,
            other => {
                return Err(FieldError::new(
                    format!("InputDataConfig[{i}].ChannelType"),
                    format!("{other:?}: use training or validation"),
                ))
            }
        };
        if slot.is_some() {
            return Err(FieldError::new(
                format!("InputDataConfig[{i}].ChannelType"),
                format!("more than one {kind} channel"),
            ));
        }
        if ch.sample_weight.is_some() {
            return Err(FieldError::new(
                format!("InputDataConfig[{i}].SampleWeightAttributeName"),
                "sample weights are not supported yet",
            ));
        }
        *slot = Some((i, ch));
    }
    let training = training
        .ok_or_else(|| FieldError::new("InputDataConfig", "a training channel is required"))?;
    Ok(Channels {
        training,
        validation,
    })
}

fn names<T>(all: &[T], name: impl Fn(&T) -> &'static str) -> String {
    all.iter().map(name).collect::<Vec<_>>().join(", ")
}

/// The request as a job spec, checked by the engine's rules against the training data's
/// column names.
pub fn to_spec(req: &CreateJob, columns: &[String]) -> Result<JobSpec, FieldError> {
    if !valid_job_name(&req.name) {
        return Err(FieldError::new(
            "AutoMLJobName",
            "use 1 to 32 letters, digits and hyphens, starting and ending with a letter or digit",
        ));
    }
    let Channels {
        training: (ti, train),
        ..
    } = channels(req)?;
    let mut spec = JobSpec::new(train.target.clone());
    if let Some(p) = &req.problem_type {
        spec.problem_type = Some(ProblemType::parse(p).ok_or_else(|| {
            FieldError::new(
                "ProblemType",
                format!("{p:?}: use BinaryClassification, MulticlassClassification or Regression"),
            )
        })?);
    }
    if let Some(o) = &req.objective {
        if let Some(name) = &o.metric_name {
            spec.metric = Some(Metric::parse(name).ok_or_else(|| {
                FieldError::new(
                    json_path(Field::Metric, ti),
                    format!(
                        "{name:?} is not a metric; use one of {}",
                        names(&ALL_METRICS, |m| m.as_str())
                    ),
                )
            })?);
        }
        spec.positive_class = o.positive_class.clone();
    }
    let cfg = req.config.clone().unwrap_or_default();
    if let Some(c) = &cfg.completion {
        // A negative count is as wrong as zero; the engine says why.
        spec.max_candidates = c.max_candidates.map(|n| n.max(0) as usize);
        spec.max_runtime_per_candidate = c.max_runtime_per_candidate;
        spec.max_job_runtime = c.max_job_runtime;
    }
    if let Some(f) = cfg.split.as_ref().and_then(|s| s.validation_fraction) {
        spec.validation_fraction = f;
    }
    if let Some(m) = &cfg.mode {
        spec.mode = Mode::parse(m).ok_or_else(|| {
            FieldError::new(
                json_path(Field::Mode, ti),
                format!("{m:?}: use {}", names(&ALL_MODES, |m| m.as_str())),
            )
        })?;
    }
    if let Some(g) = &cfg.generation {
        if let Some(list) = &g.algorithms {
            let mut algos = Vec::new();
            for name in list.iter().flat_map(|a| a.algorithms.iter()) {
                algos.push(Algorithm::parse(name).ok_or_else(|| {
                    FieldError::new(
                        ALGORITHMS,
                        format!(
                            "{name:?} is not an algorithm; use {}",
                            names(&ALL_ALGORITHMS, |a| a.as_str())
                        ),
                    )
                })?);
            }
            spec.algorithms = Some(algos);
        }
        if let Some(fs) = &g.features {
            spec.features = fs.names.clone();
            for (col, t) in fs.types.iter().flatten() {
                let kind = ColumnKind::parse(t).ok_or_else(|| {
                    FieldError::new(
                        json_path(Field::FeatureTypes, ti),
                        format!("{t:?}: use numeric, categorical, text or datetime"),
                    )
                })?;
                spec.type_overrides.insert(col.clone(), kind);
            }
        }
    }
    spec.candidates_only = req.candidates_only.unwrap_or(false);
    spec.validate().map_err(|e| from_engine(e, ti))?;
    spec.validate_columns(columns, "the training data set")
        .map_err(|e| from_engine(e, ti))?;
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::wire::{Completion, DataSource, Generation, JobConfig, Objective};

    fn request() -> CreateJob {
        serde_json::from_value(serde_json::json!({
            "AutoMLJobName": "titanic-1",
            "InputDataConfig": [{"DataSource": {"DatasetId": "0123456789abcdef"}, "TargetAttributeName": "Survived"}],
        }))
        .unwrap()
    }

    fn columns() -> Vec<String> {
        ["Survived", "Age", "Sex"].map(String::from).to_vec()
    }

    fn field(req: &CreateJob) -> String {
        to_spec(req, &columns()).unwrap_err().field
    }

    #[test]
    fn a_minimal_request_gets_the_engine_defaults() {
        let spec = to_spec(&request(), &columns()).unwrap();
        let engine = JobSpec::new("Survived");
        assert_eq!(spec.target, "Survived");
        assert_eq!(spec.mode, engine.mode);
        assert_eq!(spec.validation_fraction, engine.validation_fraction);
        assert!(!spec.candidates_only);
    }

    #[test]
    fn every_field_maps_to_its_json_path() {
        let mut r = request();
        r.name = "no spaces!".into();
        assert_eq!(field(&r), "AutoMLJobName");

        let mut r = request();
        r.objective = Some(Objective {
            metric_name: Some("Gini".into()),
            positive_class: None,
        });
        assert_eq!(field(&r), "AutoMLJobObjective.MetricName");

        let mut r = request();
        r.problem_type = Some("Regression".into());
        r.objective = Some(Objective {
            metric_name: Some("F1".into()),
            positive_class: None,
        });
        assert_eq!(field(&r), "AutoMLJobObjective.MetricName");

        for (completion, path) in [
            (
                Completion {
                    max_candidates: Some(-3),
                    ..Default::default()
                },
                "AutoMLJobConfig.CompletionCriteria.MaxCandidates",
            ),
            (
                Completion {
                    max_job_runtime: Some(1e19),
                    ..Default::default()
                },
                "AutoMLJobConfig.CompletionCriteria.MaxAutoMLJobRuntimeInSeconds",
            ),
            (
                Completion {
                    max_runtime_per_candidate: Some(-1.0),
                    ..Default::default()
                },
                "AutoMLJobConfig.CompletionCriteria.MaxRuntimePerTrainingJobInSeconds",
            ),
        ] {
            let mut r = request();
            r.config = Some(JobConfig {
                completion: Some(completion),
                ..Default::default()
            });
            assert_eq!(field(&r), path);
        }

        let mut r = request();
        r.input[0].target = "Nope".into();
        assert_eq!(field(&r), "InputDataConfig[0].TargetAttributeName");

        let mut r = request();
        r.input.insert(
            0,
            Channel {
                data_source: DataSource {
                    dataset_id: Some("fedcba9876543210".into()),
                    s3: None,
                },
                target: "Survived".into(),
                channel_type: Some("validation".into()),
                content_type: None,
                compression_type: None,
                sample_weight: None,
            },
        );
        r.input[1].target = "Nope".into();
        assert_eq!(field(&r), "InputDataConfig[1].TargetAttributeName");
    }

    #[test]
    fn lists_and_types_are_parsed_and_checked() {
        let mut r: CreateJob = request();
        r.config = Some(serde_json::from_value(serde_json::json!({
            "CandidateGenerationConfig": {
                "AlgorithmsConfig": [{"AutoMLAlgorithms": ["xgboost", "linear-learner"]}],
                "FeatureSpecification": {"FeatureAttributeNames": ["Age"], "FeatureDataTypes": {"Sex": "categorical"}}
            },
            "Mode": "ENSEMBLING"
        })).unwrap());
        let spec = to_spec(&r, &columns()).unwrap();
        assert_eq!(
            spec.algorithms,
            Some(vec![Algorithm::Gbdt, Algorithm::Linear])
        );
        assert_eq!(spec.features, Some(vec!["Age".to_string()]));
        assert_eq!(spec.type_overrides["Sex"], ColumnKind::Categorical);
        assert_eq!(spec.mode, Mode::Ensembling);

        fn generation(r: &mut CreateJob) -> &mut Generation {
            r.config.as_mut().unwrap().generation.as_mut().unwrap()
        }
        let mut bad = r.clone();
        generation(&mut bad).algorithms = Some(vec![]);
        assert_eq!(field(&bad), ALGORITHMS);
        let mut bad = r.clone();
        generation(&mut bad).features = Some(
            serde_json::from_value(serde_json::json!({"FeatureAttributeNames": ["Ghost"]}))
                .unwrap(),
        );
        assert_eq!(field(&bad), format!("{FEATURES}.FeatureAttributeNames"));
    }

    #[test]
    fn channels_are_one_training_and_at_most_one_validation() {
        let mut r = request();
        r.input[0].channel_type = Some("test".into());
        assert_eq!(field(&r), "InputDataConfig[0].ChannelType");
        let mut r = request();
        r.input.push(r.input[0].clone());
        assert_eq!(field(&r), "InputDataConfig[1].ChannelType");
        let mut r = request();
        r.input.clear();
        assert_eq!(field(&r), "InputDataConfig");
    }
}
