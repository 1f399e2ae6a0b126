//! Bencher Metric Format (BMF JSON, bencher.dev/docs/reference/bencher-metric-format):
//! one benchmark per point, named `<experiment>/<point>`, with the
//! `latency` measure (ns, Bencher's built-in) set to the median over the
//! run's processes of their ns/op and bounded by that median's
//! distribution-free interval; and, where tuner counted them, the exact
//! `allocations-per-op` and `bytes-per-op` (measures Bencher creates on
//! first use), which have no bounds.

use serde_json::{json, Map, Value};

use crate::analysis::ProcessMetrics;
use crate::matrix;
use crate::results::Results;
use crate::stats::Summary;

/// `results` as BMF JSON.
pub(crate) fn bmf(results: &Results) -> String {
    let varying = matrix::varying_axes(&results.plan.axes);
    let mut out = Map::new();
    for point in &results.points {
        let metrics: Vec<ProcessMetrics> = results
            .runs_of(point.id)
            .filter_map(ProcessMetrics::of)
            .collect();
        let ns: Vec<f64> = metrics.iter().map(|m| m.ns_per_op).collect();
        let Ok(summary) = Summary::of(&ns) else {
            continue; // no successful process: nothing to report
        };
        let mut measures = Map::new();
        let mut latency = Map::new();
        latency.insert("value".into(), json!(summary.median));
        if let Some(ci) = summary.ci {
            latency.insert("lower_value".into(), json!(ci.lo));
            latency.insert("upper_value".into(), json!(ci.hi));
        }
        measures.insert("latency".into(), Value::Object(latency));
        let exact = |f: fn(&ProcessMetrics) -> Option<f64>| {
            let v: Option<Vec<f64>> = metrics.iter().map(f).collect();
            v.filter(|v| !v.is_empty())
                .map(|v| crate::analysis::metrics::median(&v))
        };
        if let Some(a) = exact(|m| m.allocs_per_op) {
            measures.insert("allocations-per-op".into(), json!({ "value": a }));
        }
        if let Some(b) = exact(|m| m.bytes_per_op) {
            measures.insert("bytes-per-op".into(), json!({ "value": b }));
        }
        let name = format!("{}/{}", results.plan.name, point.label(&varying));
        out.insert(name, Value::Object(measures));
    }
    let mut s = serde_json::to_string_pretty(&Value::Object(out)).expect("plain data serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "[experiment]\nname = \"t\"\nworkload = \"selfcheck\"\n[params]\nvariant = \"spin\"\nsteps = [5, 10]\n[matrix]\nthreads = [1]\nallocator = [\"system\"]\n[measure]\nprocesses = 7\n";

    #[test]
    fn each_point_is_a_benchmark_with_its_median_and_interval() {
        let ns = |base: f64| (0..7).map(|k| base + k as f64).collect::<Vec<_>>();
        let results = crate::fixtures::results_with(CONFIG, &[ns(10.0), ns(20.0)], 2);
        let v: serde_json::Value = serde_json::from_str(&bmf(&results)).unwrap();
        let obj = v.as_object().unwrap();
        assert_eq!(obj.len(), 2);
        let latency = &v["t/steps=10"]["latency"];
        assert!(
            (latency["value"].as_f64().unwrap() - 23.0).abs() < 0.01,
            "{v}"
        );
        // 7 processes: the 95% interval of the median is [min, max].
        assert!(
            (latency["lower_value"].as_f64().unwrap() - 20.0).abs() < 0.01,
            "{v}"
        );
        assert!(
            (latency["upper_value"].as_f64().unwrap() - 26.0).abs() < 0.01,
            "{v}"
        );
        assert_eq!(v["t/steps=5"]["allocations-per-op"]["value"], 2.0);
        assert_eq!(v["t/steps=5"]["bytes-per-op"]["value"], 128.0);
    }
}
