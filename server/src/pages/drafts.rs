//! Post/redirect/get for the pages' forms. A form that fails is kept here under a random
//! token, and the browser is redirected to a GET that shows it again with its error: Back,
//! Forward and Reload never post it a second time, and nothing the user typed is lost.
//! Drafts live in memory for half an hour (at most a few hundred at once).

use std::any::Any;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

const KEEP_FOR: Duration = Duration::from_secs(30 * 60);
const MAX_DRAFTS: usize = 500;

type Store = HashMap<String, (Instant, Box<dyn Any + Send>)>;

static DRAFTS: LazyLock<Mutex<Store>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Keep `draft`; the token to find it by.
pub fn keep<T: Any + Send>(draft: T) -> String {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let mut store = DRAFTS.lock().unwrap_or_else(|e| e.into_inner());
    store.retain(|_, (at, _)| at.elapsed() < KEEP_FOR);
    if store.len() >= MAX_DRAFTS {
        if let Some(oldest) = store
            .iter()
            .min_by_key(|(_, (at, _))| *at)
            .map(|(k, _)| k.clone())
        {
            store.remove(&oldest);
        }
    }
    store.insert(token.clone(), (Instant::now(), Box::new(draft)));
    token
}

/// The draft kept under `token`, if it is still there and of this kind. It stays, so a
/// reload shows the same form.
pub fn find<T: Any + Send + Clone>(token: &str) -> Option<T> {
    let store = DRAFTS.lock().unwrap_or_else(|e| e.into_inner());
    store
        .get(token)
        .filter(|(at, _)| at.elapsed() < KEEP_FOR)
        .and_then(|(_, d)| d.downcast_ref::<T>().cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_is_found_by_its_token_and_kind() {
        let t = keep(String::from("typed"));
        assert_eq!(find::<String>(&t).as_deref(), Some("typed"));
        assert_eq!(
            find::<String>(&t).as_deref(),
            Some("typed"),
            "kept for a reload"
        );
        assert_eq!(find::<u32>(&t), None, "another kind of draft");
        assert_eq!(find::<String>("nope"), None);
    }
}
