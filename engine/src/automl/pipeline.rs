//! Feature pipelines as definitions: their names (dpp0, dpp1, dpp2) and settings, before
//! anything is fitted (`features` fits them).

use serde::{Deserialize, Serialize};

use super::features::{FeatureColumn, MISSING_CATEGORY};
use crate::data::ColumnKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoricalEncoding {
    Ordinal,
    OneHot,
}

/// A feature pipeline's name. The names (dpp0, dpp1, …: "data processing pipeline")
/// come from SageMaker Autopilot, whose candidate definition notebooks call its pipelines
/// so; they serialise as those names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pipeline {
    /// For trees: ordinal codes, no scaling.
    Dpp0,
    /// For linear models, kNN and neural nets: one-hot, scaled.
    Dpp1,
    /// For trees, with one-hot columns instead of codes.
    Dpp2,
}

impl Pipeline {
    pub const ALL: [Pipeline; 3] = [Pipeline::Dpp0, Pipeline::Dpp1, Pipeline::Dpp2];

    pub fn as_str(self) -> &'static str {
        match self {
            Pipeline::Dpp0 => "dpp0",
            Pipeline::Dpp1 => "dpp1",
            Pipeline::Dpp2 => "dpp2",
        }
    }

    pub fn parse(s: &str) -> Option<Pipeline> {
        Pipeline::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }
}

impl std::fmt::Display for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A pipeline name, or `None` for anything else (an ensemble's "per member" in files
/// written before ensembles had no pipeline).
pub fn pipeline_or_none<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Pipeline>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    Ok(s.as_deref().and_then(Pipeline::parse))
}

/// A pipeline definition, before fitting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineSpec {
    pub name: Pipeline,
    pub categorical: CategoricalEncoding,
    /// `min_frequency` of the one-hot encoder (an absolute row count).
    pub min_frequency: usize,
    pub scale: bool,
    pub text_max_features: usize,
    pub text_ngram_max: usize,
}

/// The most bytes the TF-IDF block of one fold's training matrix may take (dense f64):
/// with many rows, fewer terms are kept, so memory stays bounded by the data.
const TEXT_BLOCK_BYTES: usize = 512 << 20;
/// The fewest terms kept per text column, however many rows.
const MIN_TEXT_FEATURES: usize = 20;

impl PipelineSpec {
    /// The pipelines a job generates, one of each kind.
    pub fn standard(n_train: usize) -> Vec<PipelineSpec> {
        Self::for_data(n_train, 1)
    }

    /// The pipelines for `n_train` training rows with `text_columns` text columns.
    pub fn for_data(n_train: usize, text_columns: usize) -> Vec<PipelineSpec> {
        Pipeline::ALL
            .into_iter()
            .map(|p| PipelineSpec::new(p, n_train, text_columns))
            .collect()
    }

    /// `name`'s settings for `n_train` training rows and `text_columns` text columns.
    pub fn new(name: Pipeline, n_train: usize, text_columns: usize) -> PipelineSpec {
        let min_frequency = (n_train / 200).max(5);
        let (categorical, scale, terms, text_ngram_max) = match name {
            Pipeline::Dpp0 => (CategoricalEncoding::Ordinal, false, 300, 2),
            Pipeline::Dpp1 => (CategoricalEncoding::OneHot, true, 1000, 2),
            Pipeline::Dpp2 => (CategoricalEncoding::OneHot, false, 300, 1),
        };
        let affordable = TEXT_BLOCK_BYTES / (8 * n_train.max(1) * text_columns.max(1));
        let text_max_features = terms.min(affordable.max(MIN_TEXT_FEATURES));
        PipelineSpec {
            name,
            categorical,
            min_frequency,
            scale,
            text_max_features,
            text_ngram_max,
        }
    }

    /// About how many columns this pipeline's matrix has for `features`: one per feature
    /// and each text column's terms (one-hot and date parts are left out: it is TF-IDF that
    /// makes a matrix wide).
    pub fn expected_width(&self, features: &[FeatureColumn]) -> usize {
        features
            .iter()
            .map(|f| match f.kind {
                ColumnKind::Text => self.text_max_features,
                _ => 1,
            })
            .sum()
    }

    pub fn describe(&self) -> Vec<String> {
        let mut steps = vec![
            "SimpleImputer(strategy=\"median\", add_indicator=True) on numeric and date parts"
                .to_string(),
        ];
        if self.scale {
            steps.push("StandardScaler() on the numeric block".into());
        }
        steps.push(match self.categorical {
            CategoricalEncoding::OneHot => format!(
                "OneHotEncoder(min_frequency={}, handle_unknown=\"infrequent_if_exist\") on categorical columns (missing → \"{MISSING_CATEGORY}\")",
                self.min_frequency
            ),
            CategoricalEncoding::Ordinal => {
                "OrdinalEncoder(unknown and missing → -1) on categorical columns".to_string()
            }
        });
        steps.push(format!(
            "TfidfVectorizer(ngram_range=(1, {}), max_features={}) on text columns",
            self.text_ngram_max, self.text_max_features
        ));
        steps.push("datetime → year, month, day, weekday, hour, days since 1970".into());
        steps.push(
            "a repeated key (an id whose values repeat) → how many other training rows share it"
                .into(),
        );
        steps.push("constant columns and ids unique per row dropped".into());
        steps
    }
}
