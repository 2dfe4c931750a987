//! The secondary statuses a run reports around each candidate, as a job page polls them.

use std::time::Instant;

use glassbox_engine::automl::job::{CandidateResult, CandidateStatus, JobSpec, SecondaryStatus};
use glassbox_engine::data::ReadOptions;

use super::{run, DataFile, Inputs, JobFolder, RunMeta, RunObserver, Start};

#[derive(Debug, PartialEq)]
enum Event {
    Status(SecondaryStatus),
    /// A candidate reached the leaderboard; whether its quality report existed by then.
    Candidate {
        quality_written: bool,
    },
}

struct Recorder<'a> {
    folder: &'a JobFolder,
    events: Vec<Event>,
}

impl RunObserver for Recorder<'_> {
    fn on_status(&mut self, status: SecondaryStatus, _progress: f64) {
        self.events.push(Event::Status(status));
    }

    fn on_candidate(&mut self, r: &CandidateResult) {
        assert_eq!(r.status, CandidateStatus::Completed, "{r:?}");
        let quality_written = self
            .folder
            .report(&r.name, "quality.json")
            .is_some_and(|p| p.exists());
        self.events.push(Event::Candidate { quality_written });
    }
}

#[test]
fn each_candidate_reaches_the_leaderboard_before_its_insights_and_explanation_are_made() {
    let dir = std::env::temp_dir().join(format!(
        "glassbox-status-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("rows.csv");
    let mut text = String::from("x,z,y\n");
    for i in 0..300 {
        text += &format!(
            "{},{},{}\n",
            i % 17,
            (i * 7) % 11,
            if i % 17 > 8 { "a" } else { "b" }
        );
    }
    std::fs::write(&csv, text).unwrap();
    let folder = JobFolder::new(dir.join("job"));
    let mut spec = JobSpec::new("y");
    spec.max_candidates = Some(2);
    spec.algorithms = Some(vec![glassbox_engine::automl::learners::Algorithm::Linear]);
    let inputs = Inputs {
        training: DataFile::at(&csv),
        validation: None,
        read: ReadOptions::default(),
    };
    let meta = RunMeta {
        name: "status",
        input: serde_json::Value::Null,
        created: "2026-12-01T00:00:00Z",
    };
    let mut rec = Recorder {
        folder: &folder,
        events: vec![],
    };
    let outcome = run(
        &folder,
        &meta,
        &inputs,
        &spec,
        Start::Fresh,
        Instant::now(),
        &mut rec,
    );
    std::fs::remove_dir_all(&dir).ok();
    outcome.unwrap();
    use Event::*;
    use SecondaryStatus::*;
    let firsts: Vec<usize> = (0..rec.events.len())
        .filter(|&i| matches!(rec.events[i], Candidate { .. }))
        .collect();
    assert_eq!(firsts.len(), 2, "{:?}", rec.events);
    for &i in &firsts {
        // On the leaderboard before its reports exist; then insights, the explanation,
        // report.html (insights again), and back to the search's own status.
        assert_eq!(
            rec.events[i],
            Candidate {
                quality_written: false
            }
        );
        assert_eq!(
            rec.events[i + 1..i + 5],
            [
                Status(GeneratingModelInsightsReport),
                Status(GeneratingExplainabilityReport),
                Status(GeneratingModelInsightsReport),
                Status(ModelTuning),
            ],
            "{:?}",
            rec.events
        );
    }
}
