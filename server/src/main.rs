//! `glassbox`: one binary for the server and the command line.

mod api;
mod db;
mod error;
mod pages;
mod service;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use glassbox_engine::data::{ColumnKind, ReadOptions, TypeOverrides};
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            addr,
            data_dir,
            database_url,
            max_upload_bytes,
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
            match rt.block_on(serve(addr, data_dir, database_url, max_upload_bytes)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
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
        },
    );
    svc.resume().await.map_err(|e| anyhow::anyhow!(e.message))?;
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
