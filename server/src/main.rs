//! `glassbox`: one binary for the server and the command line.

mod api;
mod candidate_notebook;
mod cli;
mod db;
mod error;
mod insights_notebook;
mod job_run;
mod jobs;
mod notebooks;
mod pages;
mod predict;
mod service;
mod shapes;
mod storage;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use glassbox_engine::data::ReadOptions;
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
    /// Largest size gzip data may unpack to, in bytes (default: a quarter of the memory
    /// available at start; for `serve`, also at most 20 times the upload limit).
    #[arg(long, global = true, env = "GLASSBOX_MAX_UNPACKED_BYTES")]
    max_unpacked_bytes: Option<u64>,
}

#[derive(clap::Args)]
struct ServeArgs {
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
    /// Delete jobs (with their files) that ended more than this many days ago. Checked at
    /// start and every hour; jobs are kept forever without it.
    #[arg(long, env = "GLASSBOX_RETAIN_JOBS_DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    retain_jobs_days: Option<u32>,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
enum Command {
    /// Serve the web app and the REST API.
    Serve(ServeArgs),
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
    Run(cli::RunArgs),
    /// Predict with a trained candidate.
    Predict {
        /// A candidate folder: DIR/candidates/NAME (or DIR/candidates/best).
        #[arg(long)]
        model: PathBuf,
        file: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Add SHAP values: one `shap_<column>` column per input column and `shap_base`.
        #[arg(long)]
        explain: bool,
    },
    /// Measure a trained candidate on a labelled test file: quality.json and its predictions.
    Evaluate {
        /// A candidate folder: DIR/candidates/NAME (or DIR/candidates/best).
        #[arg(long)]
        model: PathBuf,
        test_file: PathBuf,
        /// The folder to write quality.json and test_predictions.csv into.
        #[arg(long)]
        out: PathBuf,
    },
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
    let read = ReadOptions {
        max_unpacked_bytes: cli
            .max_unpacked_bytes
            .unwrap_or_else(glassbox_engine::data::read::default_unpack_cap),
        ..ReadOptions::default()
    };
    match cli.command {
        Command::Serve(args) => {
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
            let read = ReadOptions {
                max_unpacked_bytes: cli.max_unpacked_bytes.unwrap_or_else(|| {
                    args.max_upload_bytes
                        .saturating_mul(20)
                        .min(read.max_unpacked_bytes)
                }),
                ..read
            };
            report(rt.block_on(serve(args, read)))
        }
        Command::Run(args) => {
            let started = std::time::Instant::now();
            report(cli::run(&args, &read, started).map(|_| ()))
        }
        Command::Predict {
            model,
            file,
            out,
            explain,
        } => report(
            predict::predict_to_csv(&model, &file, &out, &read, explain)
                .map(|n| eprintln!("{n} predictions → {}", out.display())),
        ),
        Command::Evaluate {
            model,
            test_file,
            out,
        } => report(
            predict::evaluate(&model, &test_file, &out, &read)
                .map(|n| eprintln!("{n} labelled rows → {}", out.join("quality.json").display())),
        ),
        Command::Profile {
            file,
            target,
            out,
            feature_types,
        } => {
            let run = || -> anyhow::Result<()> {
                let overrides = cli::parse_overrides(&feature_types)?;
                let opts = ProfileOptions {
                    target,
                    overrides,
                    read,
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
            report(run())
        }
    }
}

async fn serve(args: ServeArgs, read: ReadOptions) -> anyhow::Result<()> {
    let ServeArgs {
        addr,
        data_dir,
        database_url,
        max_upload_bytes,
        workers,
        retain_jobs_days,
    } = args;
    std::fs::create_dir_all(data_dir.join("datasets"))
        .map_err(|e| anyhow::anyhow!("--data-dir {}: {e}", data_dir.display()))?;
    storage::check_writable(&data_dir)?;
    let url = database_url
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("glassbox.db").display()));
    let pool = db::connect(&url).await?;
    let svc = service::Service::new(
        pool,
        service::Settings {
            data_dir: data_dir.clone(),
            max_upload_bytes,
            read,
            workers,
            retain_jobs_days,
        },
    );
    let started = async {
        for line in svc.sweep_debris().await? {
            tracing::warn!("{line}");
        }
        svc.resume().await?;
        svc.recover_jobs().await
    };
    started.await.map_err(|e| anyhow::anyhow!(e.message))?;
    svc.spawn_retention();
    let app = axum::Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .merge(api::routes())
        .merge(pages::routes())
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
