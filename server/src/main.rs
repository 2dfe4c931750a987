//! `glassbox`: one binary for the server and the command line.

mod api;
mod candidate_notebook;
mod db;
mod error;
mod jobs;
mod notebooks;
mod pages;
mod runner;
mod service;
mod shapes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use glassbox_engine::automl::job::{JobSpec, Mode};
use glassbox_engine::automl::learners::{Algorithm, ALL_ALGORITHMS};
use glassbox_engine::automl::metrics::{Metric, ALL_METRICS};
use glassbox_engine::data::{ColumnKind, ProblemType, ReadOptions, TypeOverrides};
use glassbox_engine::profile::ProfileOptions;
use tower_http::trace::TraceLayer;

#[derive(Parser)]
#[command(
    name = "glassbox",
    version,
    about = "Transparent AutoML for tabular data"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
enum Command {
    /// Serve the web app and the REST API.
    Serve {
        #[arg(long, env = "GLASSBOX_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        #[arg(long, env = "GLASSBOX_DATA_DIR", default_value = "./glassbox-data")]
        data_dir: PathBuf,
        /// Defaults to sqlite://DATA_DIR/glassbox.db
        #[arg(long, env = "GLASSBOX_DATABASE_URL")]
        database_url: Option<String>,
        /// Largest accepted upload, in bytes (default 5 GiB).
        #[arg(long, env = "GLASSBOX_MAX_UPLOAD_BYTES", default_value_t = 5 * 1024 * 1024 * 1024)]
        max_upload_bytes: u64,
        /// How many AutoML jobs train at once.
        #[arg(long, env = "GLASSBOX_WORKERS", default_value_t = 1)]
        workers: usize,
    },
    /// Explore a data file and write profile.json to DIR.
    Profile {
        file: PathBuf,
        #[arg(long)]
        target: Option<String>,
        #[arg(long)]
        out: PathBuf,
        /// COL=numeric|categorical|text|datetime (repeatable).
        #[arg(long = "feature-type", value_name = "COL=TYPE")]
        feature_types: Vec<String>,
    },
    /// Train, tune and rank candidate models; write them to DIR.
    Run(RunArgs),
    /// Predict with a trained candidate.
    Predict {
        /// A candidate folder: DIR/candidates/NAME (or DIR/candidates/best).
        #[arg(long)]
        model: PathBuf,
        file: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    file: PathBuf,
    #[arg(long)]
    target: String,
    #[arg(long)]
    out: PathBuf,
    /// BinaryClassification | MulticlassClassification | Regression
    #[arg(long)]
    problem_type: Option<String>,
    /// Accuracy, MSE, F1, F1macro, AUC, RMSE, MAE, R2, BalancedAccuracy, Precision, PrecisionMacro, Recall, RecallMacro, LogLoss
    #[arg(long)]
    metric: Option<String>,
    /// AUTO | ENSEMBLING | HYPERPARAMETER_TUNING
    #[arg(long, default_value = "AUTO")]
    mode: String,
    #[arg(long)]
    max_candidates: Option<usize>,
    #[arg(long)]
    max_runtime_per_candidate: Option<f64>,
    #[arg(long)]
    max_job_runtime: Option<f64>,
    #[arg(long, default_value_t = 0.2)]
    validation_fraction: f64,
    #[arg(long)]
    validation_file: Option<PathBuf>,
    /// Comma-separated: gbdt, linear, random-forest, extra-trees, knn, mlp
    #[arg(long, value_delimiter = ',')]
    algorithms: Option<Vec<String>>,
    /// Comma-separated feature columns to use (default: all but ids and constants).
    #[arg(long, value_delimiter = ',')]
    features: Option<Vec<String>>,
    /// COL=numeric|categorical|text|datetime (repeatable).
    #[arg(long = "feature-type", value_name = "COL=TYPE")]
    feature_types: Vec<String>,
    /// Generate candidate definitions only, without training.
    #[arg(long)]
    candidates_only: bool,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// No progress lines on stderr.
    #[arg(long)]
    quiet: bool,
}

fn job_spec(a: &RunArgs) -> Result<JobSpec, String> {
    let mut spec = JobSpec::new(a.target.clone());
    if let Some(p) = &a.problem_type {
        spec.problem_type = Some(ProblemType::parse(p).ok_or_else(|| {
            format!("--problem-type {p:?}: use BinaryClassification, MulticlassClassification or Regression")
        })?);
    }
    if let Some(m) = &a.metric {
        spec.metric = Some(Metric::parse(m).ok_or_else(|| {
            let names: Vec<&str> = ALL_METRICS.iter().map(|m| m.as_str()).collect();
            format!(
                "--metric {m:?}: unknown metric; use one of {}",
                names.join(", ")
            )
        })?);
    }
    spec.mode = Mode::parse(&a.mode).ok_or_else(|| {
        format!(
            "--mode {:?}: use AUTO, ENSEMBLING or HYPERPARAMETER_TUNING",
            a.mode
        )
    })?;
    spec.max_candidates = a.max_candidates;
    spec.max_runtime_per_candidate = a.max_runtime_per_candidate;
    spec.max_job_runtime = a.max_job_runtime;
    spec.validation_fraction = a.validation_fraction;
    if let Some(list) = &a.algorithms {
        let mut algos = Vec::new();
        for name in list.iter().filter(|n| !n.trim().is_empty()) {
            algos.push(Algorithm::parse(name).ok_or_else(|| {
                let names: Vec<&str> = ALL_ALGORITHMS.iter().map(|a| a.as_str()).collect();
                format!(
                    "--algorithms: unknown algorithm {name:?}; use {}",
                    names.join(", ")
                )
            })?);
        }
        spec.algorithms = Some(algos);
    }
    spec.features = a.features.clone();
    spec.type_overrides = parse_overrides(&a.feature_types)?;
    spec.candidates_only = a.candidates_only;
    spec.seed = a.seed;
    spec.validate().map_err(|e| format!("--{e}"))?;
    Ok(spec)
}

fn parse_overrides(items: &[String]) -> Result<TypeOverrides, String> {
    let mut out = TypeOverrides::new();
    for item in items {
        let (col, kind) = item.rsplit_once('=').ok_or_else(|| {
            format!("--feature-type {item:?}: expected COL=numeric|categorical|text|datetime")
        })?;
        let kind = ColumnKind::parse(kind)
            .ok_or_else(|| format!("--feature-type {item:?}: unknown type {kind:?}; use numeric, categorical, text or datetime"))?;
        out.insert(col.to_string(), kind);
    }
    Ok(out)
}

fn report(r: anyhow::Result<()>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            addr,
            data_dir,
            database_url,
            max_upload_bytes,
            workers,
        } => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "info,tower_http=info,sqlx=warn".into()),
                )
                .init();
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            match rt.block_on(serve(
                addr,
                data_dir,
                database_url,
                max_upload_bytes,
                workers,
            )) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Run(args) => {
            let run = || -> anyhow::Result<()> {
                let spec = job_spec(&args).map_err(anyhow::Error::msg)?;
                let outcome = runner::run_to_dir(
                    &args.file,
                    args.validation_file.as_deref(),
                    &spec,
                    &args.out,
                    !args.quiet,
                )?;
                let best = outcome
                    .best
                    .as_ref()
                    .and_then(|b| outcome.candidates.iter().find(|c| &c.name == b));
                match best {
                    Some(best) if !args.quiet => eprintln!(
                        "{}: best {} with {} = {:.5} of {} candidates in {:.1} s → {}",
                        shapes::secondary(outcome.secondary_status),
                        best.name,
                        outcome.resolved.metric.as_str(),
                        best.objective.unwrap_or(f64::NAN),
                        outcome.candidates.len(),
                        outcome.elapsed_seconds,
                        args.out.display()
                    ),
                    Some(_) => {}
                    None if spec.candidates_only => eprintln!(
                        "{} candidate definitions written to {}",
                        outcome.definitions.len(),
                        args.out.display()
                    ),
                    None => {
                        anyhow::bail!("no candidate finished training; raise --max-job-runtime")
                    }
                }
                Ok(())
            };
            report(run())
        }
        Command::Predict { model, file, out } => report(
            runner::predict_to_csv(&model, &file, &out)
                .map(|n| eprintln!("{n} predictions → {}", out.display())),
        ),
        Command::Profile {
            file,
            target,
            out,
            feature_types,
        } => {
            let run = || -> anyhow::Result<()> {
                let overrides = parse_overrides(&feature_types).map_err(anyhow::Error::msg)?;
                let opts = ProfileOptions {
                    target,
                    overrides,
                    read: ReadOptions::default(),
                };
                let p = service::profile_to_dir(&file, &opts, &out)?;
                eprintln!(
                    "profiled {}: {} rows × {} columns, {} insights, in {:.2} s → {}",
                    p.file_name,
                    p.rows,
                    p.columns,
                    p.insights.len(),
                    p.elapsed_seconds,
                    out.join("profile.json").display()
                );
                Ok(())
            };
            match run() {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

async fn serve(
    addr: SocketAddr,
    data_dir: PathBuf,
    database_url: Option<String>,
    max_upload_bytes: u64,
    workers: usize,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(data_dir.join("datasets"))
        .map_err(|e| anyhow::anyhow!("--data-dir {}: {e}", data_dir.display()))?;
    let url = database_url
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("glassbox.db").display()));
    let pool = db::connect(&url).await?;
    let svc = service::Service::new(
        pool,
        service::Settings {
            data_dir: data_dir.clone(),
            max_upload_bytes,
            read: ReadOptions::default(),
            workers,
        },
    );
    svc.resume().await.map_err(|e| anyhow::anyhow!(e.message))?;
    svc.recover_jobs()
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let app = axum::Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .merge(api::routes())
        .merge(pages::routes())
        .merge(pages::job_routes())
        .fallback(pages::not_found)
        .layer(TraceLayer::new_for_http())
        .with_state(svc);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    tracing::info!(%addr, data_dir = %data_dir.display(), "glassbox is serving on http://{addr}/");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
