//! `glassbox`: one binary for the server and the command line.

mod api;
mod api_models;
mod auth;
mod candidate_notebook;
mod cli;
mod csv_body;
mod db;
mod deployments;
mod drift_schedule;
mod endpoint_stats;
mod endpoints;
mod error;
mod insights_notebook;
mod job_run;
mod jobs;
mod monitor;
mod notebooks;
mod objects;
mod pages;
mod pipelines;
mod predict;
mod registry;
mod sagemaker;
mod scoring;
mod service;
mod shapes;
mod shapes_models;
mod storage;
mod transform;

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
    /// The URL people reach this server at (repeatable), e.g. https://glassbox.example.com:
    /// its host name is accepted in the Host header beside the loopback names and the
    /// listening address; share links use the first; https makes cookies Secure.
    #[arg(long, env = "GLASSBOX_PUBLIC_URL", value_delimiter = ',')]
    public_url: Vec<String>,
    #[command(flatten)]
    objects: ObjectArgs,
}

/// Where `s3://` and `file://` URIs in SageMaker calls are read and written.
#[derive(clap::Args)]
struct ObjectArgs {
    /// An S3-compatible endpoint, e.g. http://127.0.0.1:9000 (AWS S3 when absent).
    #[arg(long, env = "AWS_ENDPOINT_URL_S3")]
    s3_endpoint: Option<String>,
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    s3_region: String,
    #[arg(long, env = "AWS_ACCESS_KEY_ID")]
    s3_access_key_id: Option<String>,
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    s3_secret_access_key: Option<String>,
    /// The folder file:// URIs may name; without it they are refused.
    #[arg(long, env = "GLASSBOX_FILE_ROOT")]
    file_root: Option<PathBuf>,
}

impl ObjectArgs {
    fn settings(self) -> anyhow::Result<objects::ObjectSettings> {
        let file_root = match self.file_root {
            Some(root) => Some(
                std::fs::canonicalize(&root)
                    .map_err(|e| anyhow::anyhow!("--file-root {}: {e}", root.display()))?,
            ),
            None => None,
        };
        Ok(objects::ObjectSettings {
            s3_endpoint: self.s3_endpoint,
            s3_region: Some(self.s3_region),
            s3_access_key_id: self.s3_access_key_id,
            s3_secret_access_key: self.s3_secret_access_key,
            file_root,
        })
    }
}

/// Where the accounts live: the server's data folder and database.
#[derive(clap::Args)]
struct StoreArgs {
    #[arg(long, env = "GLASSBOX_DATA_DIR", default_value = "./glassbox-data")]
    data_dir: PathBuf,
    /// Defaults to sqlite://DATA_DIR/glassbox.db
    #[arg(long, env = "GLASSBOX_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account (the first must be an admin; it switches the server to team mode).
    Add {
        name: String,
        /// An admin: manages accounts, sees and changes everything.
        #[arg(long, conflicts_with = "role")]
        admin: bool,
        /// member (sees all, changes their own) or viewer (read-only).
        #[arg(long, default_value = "member")]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the accounts.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Remove an account: its sessions and keys stop working; what it made stays.
    Remove {
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Make an access key for an account; the secret is printed once.
    Create {
        #[arg(long)]
        user: String,
        /// Print {"AccessKeyId", "SecretAccessKey"} as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
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
    /// Manage accounts (team mode).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage access keys for the REST API and the SageMaker protocol.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
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
        Command::User { command } => report(run_async(accounts_command(command))),
        Command::Key { command } => report(run_async(key_command(command))),
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

fn run_async(f: impl std::future::Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(f)
}

/// The service over a data folder, for the account commands.
async fn offline_service(store: StoreArgs) -> anyhow::Result<service::Service> {
    std::fs::create_dir_all(&store.data_dir)
        .map_err(|e| anyhow::anyhow!("--data-dir {}: {e}", store.data_dir.display()))?;
    let url = store
        .database_url
        .unwrap_or_else(|| format!("sqlite://{}", store.data_dir.join("glassbox.db").display()));
    let pool = db::connect(&url).await?;
    Ok(service::Service::new(
        pool,
        service::Settings::offline(store.data_dir),
    ))
}

async fn accounts_command(command: UserCommand) -> anyhow::Result<()> {
    let fail = |e: error::ApiError| anyhow::anyhow!(e.message);
    match command {
        UserCommand::Add {
            name,
            admin,
            role,
            password_stdin: _,
            store,
        } => {
            let role = if admin {
                auth::Role::Admin
            } else {
                auth::parse_role(&role).map_err(fail)?
            };
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            let svc = offline_service(store).await?;
            svc.add_user("cli", &name, role, password)
                .await
                .map_err(fail)?;
            eprintln!("added {name} ({})", role.as_str());
        }
        UserCommand::List { store } => {
            let svc = offline_service(store).await?;
            for u in svc.users().await.map_err(fail)? {
                println!("{}\t{}\t{}", u.name, u.role, u.created_at);
            }
        }
        UserCommand::Remove { name, store } => {
            let svc = offline_service(store).await?;
            svc.remove_user("cli", &name).await.map_err(fail)?;
            eprintln!("removed {name}");
        }
    }
    Ok(())
}

async fn key_command(command: KeyCommand) -> anyhow::Result<()> {
    let KeyCommand::Create { user, json, store } = command;
    let svc = offline_service(store).await?;
    let key = svc
        .create_key("cli", &user)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let secret = key.secret.unwrap_or_default();
    if json {
        println!(
            "{}",
            serde_json::json!({ "AccessKeyId": key.id, "SecretAccessKey": secret })
        );
    } else {
        println!("AccessKeyId:     {}\nSecretAccessKey: {secret}", key.id);
        eprintln!("The secret is not shown again.");
    }
    Ok(())
}

async fn serve(args: ServeArgs, read: ReadOptions) -> anyhow::Result<()> {
    let ServeArgs {
        addr,
        data_dir,
        database_url,
        max_upload_bytes,
        workers,
        retain_jobs_days,
        public_url,
        objects,
    } = args;
    let objects = objects.settings()?;
    let hosts = auth::HostRules::new(addr, &public_url)?;
    let exposed = !addr.ip().is_loopback();
    if exposed && addr.ip().is_unspecified() && public_url.is_empty() {
        anyhow::bail!(
            "--addr {addr} listens on every network address, but only the names in --public-url are answered (against DNS rebinding): add --public-url http://HOST:{}",
            addr.port()
        );
    }
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
            hosts,
            exposed,
            objects,
        },
    );
    if exposed
        && !svc
            .team_mode()
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?
    {
        anyhow::bail!(
            "refusing to serve on {addr} with no account: anyone who reaches it could read and delete everything. Create an admin first:\n  glassbox user add NAME --admin --password-stdin --data-dir {}\nor serve on 127.0.0.1 (local mode).",
            data_dir.display()
        );
    }
    let started = async {
        for line in svc.sweep_debris().await? {
            tracing::warn!("{line}");
        }
        svc.resume().await?;
        svc.recover_jobs().await?;
        svc.recover_transforms().await?;
        svc.recover_pipelines().await?;
        svc.load_endpoints().await
    };
    started.await.map_err(|e| anyhow::anyhow!(e.message))?;
    svc.spawn_retention();
    svc.spawn_drift_schedules();
    let app = axum::Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .merge(api::routes())
        .merge(api_models::routes())
        .merge(pages::routes())
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            svc.clone(),
            auth::guard,
        ))
        // Bodies read whole (JSON, forms) stop at 1 MiB; the upload streams to disk
        // under its own limit (--max-upload-bytes).
        .layer(axum::extract::DefaultBodyLimit::max(1024 * 1024))
        .layer(TraceLayer::new_for_http())
        .with_state(svc);
    // Before routing: a SageMaker request at a path prefix is routed as `POST /`.
    let app = tower::Layer::layer(
        &tower::util::MapRequestLayer::new(sagemaker::route_at_any_prefix),
        app,
    );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    tracing::info!(%addr, data_dir = %data_dir.display(), "glassbox is serving on http://{addr}/");
    axum::serve(
        listener,
        axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<
            SocketAddr,
        >(app),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
