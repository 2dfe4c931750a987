//! What each endpoint has answered since the server started: request and error counts and
//! a latency histogram, for the endpoint page and `GET /metrics` (Prometheus text format).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use glassbox_app::model::EndpointStats;

/// Upper bounds of the latency buckets, in seconds.
const BOUNDS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default, Clone)]
struct Counts {
    requests: u64,
    client_errors: u64,
    server_errors: u64,
    /// Requests per bucket (not cumulative); the last is above every bound.
    buckets: [u64; BOUNDS.len() + 1],
    sum_seconds: f64,
}

#[derive(Default, Clone)]
pub struct Stats(Arc<Mutex<BTreeMap<String, Counts>>>);

impl Stats {
    /// Records one invocation of `endpoint`: its HTTP status and how long it took.
    pub fn record(&self, endpoint: &str, status: u16, seconds: f64) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let c = map.entry(endpoint.to_string()).or_default();
        c.requests += 1;
        match status {
            400..=499 => c.client_errors += 1,
            500.. => c.server_errors += 1,
            _ => {}
        }
        let b = BOUNDS
            .iter()
            .position(|&ub| seconds <= ub)
            .unwrap_or(BOUNDS.len());
        c.buckets[b] += 1;
        c.sum_seconds += seconds;
    }

    pub fn forget(&self, endpoint: &str) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(endpoint);
    }

    /// The page's summary: counts and the p50 / p99 latency (the bucket's upper bound).
    pub fn summary(&self, endpoint: &str) -> EndpointStats {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let Some(c) = map.get(endpoint) else {
            return EndpointStats::default();
        };
        let quantile = |q: f64| {
            let want = (q * c.requests as f64).ceil() as u64;
            let mut seen = 0;
            for (i, n) in c.buckets.iter().enumerate() {
                seen += n;
                if seen >= want && seen > 0 {
                    return Some(BOUNDS.get(i).copied().unwrap_or(f64::INFINITY) * 1000.0);
                }
            }
            None
        };
        EndpointStats {
            requests: c.requests,
            errors: c.client_errors + c.server_errors,
            p50_ms: quantile(0.5),
            p99_ms: quantile(0.99),
        }
    }

    /// Every endpoint's counts in the Prometheus text format. Endpoint names are letters,
    /// digits and hyphens, so they need no escaping as label values.
    pub fn prometheus(&self) -> String {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        out.push_str(
            "# HELP glassbox_endpoint_requests_total Invocations answered, per endpoint.\n",
        );
        out.push_str("# TYPE glassbox_endpoint_requests_total counter\n");
        for (name, c) in map.iter() {
            let _ = writeln!(
                out,
                "glassbox_endpoint_requests_total{{endpoint=\"{name}\"}} {}",
                c.requests
            );
        }
        out.push_str("# HELP glassbox_endpoint_errors_total Invocations answered with an error, per endpoint and class.\n");
        out.push_str("# TYPE glassbox_endpoint_errors_total counter\n");
        for (name, c) in map.iter() {
            let _ = writeln!(
                out,
                "glassbox_endpoint_errors_total{{endpoint=\"{name}\",class=\"4xx\"}} {}",
                c.client_errors
            );
            let _ = writeln!(
                out,
                "glassbox_endpoint_errors_total{{endpoint=\"{name}\",class=\"5xx\"}} {}",
                c.server_errors
            );
        }
        out.push_str("# HELP glassbox_endpoint_latency_seconds Time to answer an invocation, per endpoint.\n");
        out.push_str("# TYPE glassbox_endpoint_latency_seconds histogram\n");
        for (name, c) in map.iter() {
            let mut cumulative = 0;
            for (i, n) in c.buckets.iter().enumerate() {
                cumulative += n;
                let le = BOUNDS.get(i).map_or("+Inf".to_string(), |b| b.to_string());
                let _ = writeln!(out, "glassbox_endpoint_latency_seconds_bucket{{endpoint=\"{name}\",le=\"{le}\"}} {cumulative}");
            }
            let _ = writeln!(
                out,
                "glassbox_endpoint_latency_seconds_sum{{endpoint=\"{name}\"}} {}",
                c.sum_seconds
            );
            let _ = writeln!(
                out,
                "glassbox_endpoint_latency_seconds_count{{endpoint=\"{name}\"}} {}",
                c.requests
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_quantiles_and_the_text_format() {
        let s = Stats::default();
        for _ in 0..98 {
            s.record("e1", 200, 0.0008);
        }
        s.record("e1", 400, 0.003);
        s.record("e1", 500, 0.3);
        let sum = s.summary("e1");
        assert_eq!((sum.requests, sum.errors), (100, 2));
        assert_eq!(sum.p50_ms, Some(1.0));
        assert_eq!(sum.p99_ms, Some(5.0));
        let text = s.prometheus();
        assert!(text.contains("glassbox_endpoint_requests_total{endpoint=\"e1\"} 100"));
        assert!(text.contains("glassbox_endpoint_errors_total{endpoint=\"e1\",class=\"5xx\"} 1"));
        assert!(text
            .contains("glassbox_endpoint_latency_seconds_bucket{endpoint=\"e1\",le=\"+Inf\"} 100"));
        assert!(text
            .contains("glassbox_endpoint_latency_seconds_bucket{endpoint=\"e1\",le=\"0.001\"} 98"));
        assert_eq!(s.summary("none"), EndpointStats::default());
    }
}
