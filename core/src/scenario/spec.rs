//! The file as serde reads it: one struct per table, unknown keys refused.
//! Nothing here is checked beyond its type; see the sibling modules.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// A node given by number or by role name.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum NodeRefSpec {
    /// A number.
    Id(i64),
    /// A role name.
    Role(String),
}

impl<'de> Deserialize<'de> for NodeRefSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = NodeRefSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a node number (like 2) or a role name (like \"leader\")")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NodeRefSpec, E> {
                Ok(NodeRefSpec::Id(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NodeRefSpec, E> {
                Ok(NodeRefSpec::Id(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NodeRefSpec, E> {
                Ok(NodeRefSpec::Role(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `latency = { dist = "uniform", min_ms = 10, max_ms = 15 }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LatencySpec {
    pub(super) dist: String,
    pub(super) ms: Option<f64>,
    pub(super) min_ms: Option<f64>,
    pub(super) max_ms: Option<f64>,
    pub(super) mean_ms: Option<f64>,
    pub(super) std_dev_ms: Option<f64>,
}

/// One `[[network.links]]` override.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LinkSpec {
    pub(super) from: i64,
    pub(super) to: i64,
    #[serde(default)]
    pub(super) both: bool,
    pub(super) latency: LatencySpec,
}

/// The `[network]` table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NetworkSpec {
    pub(super) latency: Option<LatencySpec>,
    pub(super) loss_ratio: Option<f64>,
    pub(super) duplicate_ratio: Option<f64>,
    pub(super) reorder_ratio: Option<f64>,
    pub(super) links: Option<Vec<LinkSpec>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ClockSpec {
    pub(super) node: i64,
    pub(super) offset_ms: Option<f64>,
    pub(super) drift_ppm: Option<i64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WorkloadSpec {
    pub(super) start_ms: Option<f64>,
    pub(super) stop_ms: Option<f64>,
    pub(super) rate_per_s: f64,
    pub(super) requests: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ClientsSpec {
    pub(super) retry_ms: Option<f64>,
    pub(super) max_attempts: Option<i64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LimitsSpec {
    pub(super) max_events: Option<i64>,
    pub(super) max_in_flight: Option<i64>,
    pub(super) max_trace_records: Option<i64>,
}

/// A command as written in a file: exactly one verb key plus its modifiers.
/// In `[[faults]]` it also has `at_ms`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ActionSpec {
    pub(super) at_ms: Option<f64>,
    pub(super) crash: Option<NodeRefSpec>,
    pub(super) restart: Option<NodeRefSpec>,
    pub(super) pause: Option<NodeRefSpec>,
    pub(super) for_ms: Option<f64>,
    pub(super) isolate: Option<NodeRefSpec>,
    pub(super) partition: Option<Vec<Vec<i64>>>,
    pub(super) cut: Option<Vec<i64>>,
    pub(super) heal_link: Option<Vec<i64>>,
    pub(super) both: Option<bool>,
    pub(super) heal: Option<bool>,
    pub(super) hold: Option<i64>,
    pub(super) release: Option<i64>,
    pub(super) drop: Option<i64>,
    pub(super) duplicate: Option<i64>,
    pub(super) request: Option<String>,
    pub(super) node: Option<NodeRefSpec>,
    pub(super) timeout: Option<NodeRefSpec>,
    pub(super) timer: Option<String>,
    pub(super) clock_jump: Option<NodeRefSpec>,
    pub(super) by_ms: Option<f64>,
    pub(super) set_drift: Option<NodeRefSpec>,
    pub(super) ppm: Option<i64>,
    pub(super) set_network: Option<NetworkSpec>,
    pub(super) switch: Option<String>,
    pub(super) on: Option<bool>,
}

/// `{ en = "...", zh-CN = "..." }`: text in both languages.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TextSpec {
    pub(super) en: String,
    #[serde(rename = "zh-CN")]
    pub(super) zh_cn: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LessonSpec {
    pub(super) title: TextSpec,
    pub(super) summary: Option<TextSpec>,
    pub(super) order: Option<i64>,
    pub(super) pace: Option<f64>,
    pub(super) switches: Option<Vec<String>>,
    pub(super) panels: Option<Vec<String>>,
}

/// A wait condition as written in a file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConditionSpec {
    pub(super) time_ms: Option<f64>,
    pub(super) after_ms: Option<f64>,
    pub(super) role: Option<String>,
    pub(super) count: Option<i64>,
    pub(super) observed: Option<String>,
    pub(super) value: Option<toml::Value>,
    pub(super) node: Option<i64>,
    pub(super) field: Option<String>,
    pub(super) at_least: Option<i64>,
    pub(super) nodes: Option<String>,
    pub(super) command: Option<String>,
    pub(super) target_role: Option<String>,
    pub(super) violation: Option<String>,
    pub(super) all: Option<Vec<ConditionSpec>>,
    pub(super) any: Option<Vec<ConditionSpec>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StepSpec {
    pub(super) title: Option<TextSpec>,
    pub(super) text: TextSpec,
    #[serde(rename = "do")]
    pub(super) action: Option<ActionSpec>,
    pub(super) until: Option<ConditionSpec>,
    pub(super) solution: Option<ActionSpec>,
    pub(super) solution_at: Option<i64>,
    pub(super) within_ms: Option<f64>,
    #[serde(default)]
    pub(super) challenge: bool,
    pub(super) play: Option<String>,
    pub(super) pace: Option<f64>,
    #[serde(default)]
    pub(super) stay: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileSpec {
    pub(super) format: Option<i64>,
    pub(super) name: Option<String>,
    pub(super) title: Option<TextSpec>,
    pub(super) summary: Option<TextSpec>,
    pub(super) protocol: String,
    pub(super) seed: Option<i64>,
    pub(super) nodes: Option<i64>,
    pub(super) duration_ms: Option<f64>,
    pub(super) config: Option<toml::Table>,
    pub(super) network: Option<NetworkSpec>,
    pub(super) clocks: Option<Vec<ClockSpec>>,
    pub(super) workload: Option<WorkloadSpec>,
    pub(super) clients: Option<ClientsSpec>,
    pub(super) faults: Option<Vec<ActionSpec>>,
    pub(super) limits: Option<LimitsSpec>,
    pub(super) lesson: Option<LessonSpec>,
    pub(super) steps: Option<Vec<StepSpec>>,
}
