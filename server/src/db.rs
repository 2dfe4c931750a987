//! Storage: SQLite in WAL mode by default, with the migrations in `migrations/` embedded
//! in the binary and run at start.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub async fn connect(url: &str) -> anyhow::Result<SqlitePool> {
    if url.starts_with("postgres") {
        anyhow::bail!(
            "--database-url: Postgres is not supported yet; use sqlite://PATH (the default)"
        );
    }
    let opts = SqliteConnectOptions::from_str(url)
        .map_err(|e| anyhow::anyhow!("--database-url {url:?}: {e}"))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(opts)
        .await?;
    sqlx::migrate!("../migrations").run(&pool).await?;
    Ok(pool)
}
