//! `candidates/NAME/validation_predictions.csv`: the rows a candidate's leaderboard values
//! were computed on (every validation row once, ascending), with the actual value, the
//! predicted label (the most probable class, the first on a tie, as `numpy.argmax`) and,
//! for classification, `proba_<label>` per class. Numbers keep every digit, so scoring the
//! file with scikit-learn gives the leaderboard's values.

use std::path::Path;

use glassbox_engine::automl::job::Prepared;
use glassbox_engine::automl::metrics::Predictions;

pub(super) fn write(
    path: &Path,
    prep: &Prepared,
    rows: &[usize],
    preds: &Predictions,
) -> anyhow::Result<()> {
    let classes = &prep.resolved.classes;
    let mut w = csv::Writer::from_path(path)?;
    match preds {
        Predictions::Values(v) => {
            w.write_record(["row", "actual", "predicted_label"])?;
            for (r, p) in rows.iter().zip(v) {
                w.write_record([r.to_string(), prep.y[*r].to_string(), p.to_string()])?;
            }
        }
        Predictions::Proba { p, k } => {
            let mut header = vec!["row".to_string(), "actual".into(), "predicted_label".into()];
            header.extend(classes.iter().map(|c| format!("proba_{c}")));
            w.write_record(&header)?;
            let label = |id: usize| classes.get(id).cloned().unwrap_or_default();
            for ((r, probs), best) in rows.iter().zip(p.chunks(*k)).zip(preds.classes()) {
                let mut rec = vec![r.to_string(), label(prep.y[*r] as usize), label(best)];
                rec.extend(probs.iter().map(|x| x.to_string()));
                w.write_record(&rec)?;
            }
        }
    }
    w.flush()?;
    Ok(())
}
