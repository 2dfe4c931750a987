//! The sign-in rate limit. Failures are counted by account name and by client address;
//! from the fifth failure on an account (the twentieth from an address, which a team may
//! share behind one NAT), each further attempt must wait 2^(failures − free) seconds (at
//! most 5 minutes) after the last failure, whatever the password. The count is forgotten
//! 15 minutes after the last failure, and a success clears the account's count.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures before the waits begin: by account, and by address.
const FREE_BY_ACCOUNT: u32 = 5;
const FREE_BY_ADDRESS: u32 = 20;
const MAX_WAIT: Duration = Duration::from_secs(300);
const FORGET_AFTER: Duration = Duration::from_secs(900);

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

fn wait_after(count: u32, free: u32) -> Duration {
    if count < free {
        Duration::ZERO
    } else {
        Duration::from_secs(1u64 << (count - free).min(16)).min(MAX_WAIT)
    }
}

impl LoginLimiter {
    fn keys(name: &str, address: &str) -> [String; 2] {
        [format!("user:{name}"), format!("addr:{address}")]
    }

    /// Seconds to wait before `name` may try again from `address` (`None`: go ahead).
    pub fn wait(&self, name: &str, address: &str) -> Option<u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, (_, last)| now.duration_since(*last) < FORGET_AFTER);
        let [by_name, by_address] = Self::keys(name, address);
        [(by_name, FREE_BY_ACCOUNT), (by_address, FREE_BY_ADDRESS)]
            .iter()
            .filter_map(|(k, free)| map.get(k).map(|e| (e, *free)))
            .map(|(&(count, last), free)| {
                wait_after(count, free).saturating_sub(now.duration_since(last))
            })
            .max()
            .filter(|w| !w.is_zero())
            .map(|w| w.as_secs_f64().ceil() as u64)
    }

    pub fn failed(&self, name: &str, address: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for k in Self::keys(name, address) {
            let e = map.entry(k).or_insert((0, now));
            e.0 += 1;
            e.1 = now;
        }
    }

    pub fn succeeded(&self, name: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&format!("user:{name}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_slow_down_by_name_and_by_address() {
        let l = LoginLimiter::default();
        for _ in 0..4 {
            l.failed("ann", "10.0.0.1");
        }
        assert_eq!(l.wait("ann", "10.0.0.1"), None, "four failures are free");
        l.failed("ann", "10.0.0.1");
        assert_eq!(
            l.wait("ann", "10.0.0.9"),
            Some(1),
            "the account is slowed down"
        );
        assert_eq!(l.wait("bob", "10.0.0.1"), None, "not yet its address");
        l.failed("ann", "10.0.0.1");
        assert_eq!(
            l.wait("ann", "10.0.0.3"),
            Some(2),
            "each failure doubles the wait"
        );
        l.succeeded("ann");
        assert_eq!(l.wait("ann", "10.0.0.3"), None);
        for i in 0..20 {
            l.failed(&format!("user{i}"), "10.0.0.7");
        }
        assert_eq!(
            l.wait("zoe", "10.0.0.7"),
            Some(1),
            "an address spraying accounts"
        );
        assert_eq!(l.wait("zoe", "10.0.0.8"), None);
        assert_eq!(wait_after(40, FREE_BY_ACCOUNT), MAX_WAIT);
    }
}
