//! `glassbox predict`: a saved candidate's predictions for a data file.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use glassbox_engine::automl::metrics::Predictions;
use glassbox_engine::automl::model::CandidateModel;
use glassbox_engine::data::{self, ReadOptions};

/// `glassbox predict`: one row per input row, in input order.
pub fn predict_to_csv(
    model_dir: &Path,
    file: &Path,
    out: &Path,
    read: &ReadOptions,
) -> anyhow::Result<usize> {
    let model_path = model_dir.join("model.json");
    if !model_path.is_file() {
        anyhow::bail!("{}: no model here", model_path.display());
    }
    let model = CandidateModel::load(model_dir)?;
    let raw = data::read_file(file, read)?;
    let n = raw.height();
    let preds = model.predict_raw(&raw)?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(
        std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?,
    ));
    match &preds {
        Predictions::Values(v) => {
            w.write_record(["predicted_label"])?;
            for x in v {
                w.write_record([x.to_string()])?;
            }
        }
        Predictions::Proba { p, k } => {
            let mut header = vec!["predicted_label".to_string(), "probability".to_string()];
            header.extend(model.classes.iter().map(|c| format!("proba_{c}")));
            w.write_record(&header)?;
            for (row, cls) in p.chunks(*k).zip(preds.classes()) {
                let mut rec = vec![model.classes[cls].clone(), row[cls].to_string()];
                rec.extend(row.iter().map(|x| x.to_string()));
                w.write_record(&rec)?;
            }
        }
    }
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .flush()?;
    Ok(n)
}
