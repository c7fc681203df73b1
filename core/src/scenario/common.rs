//! The second pass for everything but `[config]`: nodes, seed, duration,
//! network, clocks, workload, clients, limits, faults and lesson steps.
//! Compiled once for every protocol; what it needs of the protocol comes
//! through the [`Factory`].

use super::action::{action, switch_key};
use super::condition::condition;
use super::diag::{PathError, Seg, Source, line_col, perr, span_at, with};
use super::factory::Factory;
use super::fields::{check_text, ms_field, network, node_field, pace_field, text};
use super::spec::ActionSpec;
use super::{Common, LoadError, Scenario};
use crate::command::Command;
use crate::lesson::{Lesson, Step};
use crate::limits::{self, Limits};
use crate::network::NetworkParams;
use crate::time::{Micros, number};
use crate::world::{ClientPolicy, ClockSetting, Scheduled, Workload};
use std::rc::Rc;
use toml::Spanned;
use toml::de::DeTable;

/// Validates everything in a file but its `[config]`, compiled once for
/// every protocol.
pub(super) fn load_common(
    src: Source<'_>,
    doc: &Spanned<DeTable<'_>>,
    common: &Common,
    factory: Rc<dyn Factory>,
) -> Result<Scenario, Vec<LoadError>> {
    let info = factory.info();
    let s = &common.spec;
    let err = |e: PathError| vec![LoadError::Path(e)];
    let nodes = s.nodes.unwrap_or(5);
    if nodes < 1 || nodes > i64::from(limits::MAX_NODES) {
        return Err(err(perr(
            &[Seg::Key("nodes")],
            format!("nodes = {nodes} is outside 1 to {} (the node limit)", limits::MAX_NODES),
        )));
    }
    let nodes = nodes as u32;
    factory.validate(nodes).map_err(|i| err(perr(&[Seg::Key("config"), Seg::Key(i.field)], i.message)))?;
    let seed = s.seed.unwrap_or(1);
    if seed < 0 {
        return Err(err(perr(&[Seg::Key("seed")], format!("seed = {seed} must be zero or more"))));
    }
    let duration =
        ms_field(&[Seg::Key("duration_ms")], "duration_ms", s.duration_ms.unwrap_or(10_000.0), limits::MAX_DURATION)
            .map_err(err)?;
    if duration.0 == 0 {
        return Err(err(perr(&[Seg::Key("duration_ms")], "duration_ms must be more than 0")));
    }
    let net = match &s.network {
        Some(n) => network(&[Seg::Key("network")], n, nodes, &NetworkParams::default()).map_err(err)?,
        None => NetworkParams::default(),
    };
    let mut clocks = Vec::new();
    for (i, c) in s.clocks.iter().flatten().enumerate() {
        let p = vec![Seg::Key("clocks"), Seg::Index(i)];
        let node = node_field(&with(&p, Seg::Key("node")), c.node, nodes).map_err(err)?;
        let offset = c.offset_ms.unwrap_or(0.0);
        let lim = limits::MAX_CLOCK_OFFSET_US as f64 / 1000.0;
        if !offset.is_finite() || offset.abs() > lim {
            return Err(err(perr(
                &with(&p, Seg::Key("offset_ms")),
                format!("offset_ms = {} is beyond ±{lim} ms", number(offset)),
            )));
        }
        let drift = c.drift_ppm.unwrap_or(0);
        if drift.unsigned_abs() > limits::MAX_DRIFT_PPM as u64 {
            return Err(err(perr(
                &with(&p, Seg::Key("drift_ppm")),
                format!("drift_ppm = {drift} is beyond ±{}", limits::MAX_DRIFT_PPM),
            )));
        }
        clocks.push(ClockSetting { node, offset_us: (offset * 1000.0).round() as i64, drift_ppm: drift });
    }
    let parse = |t: &str| factory.check_request(t);
    let workload = match &s.workload {
        None => None,
        Some(_) if info.clients.refusal().is_some() => {
            let why = info.clients.refusal().map(|t| t.en).unwrap_or_default();
            return Err(err(perr(&[Seg::Key("workload")], format!("{} has no [workload]: {why}", info.name))));
        }
        Some(w) => {
            let p = [Seg::Key("workload")];
            let rate = w.rate_per_s;
            if !rate.is_finite() || rate <= 0.0 || rate > f64::from(limits::MAX_WORKLOAD_RATE_PER_S) {
                return Err(err(perr(
                    &with(&p, Seg::Key("rate_per_s")),
                    format!(
                        "rate_per_s = {} is outside 0 to {} requests per second",
                        number(rate),
                        limits::MAX_WORKLOAD_RATE_PER_S
                    ),
                )));
            }
            if w.requests.is_empty() {
                return Err(err(perr(
                    &with(&p, Seg::Key("requests")),
                    format!("requests is empty; give templates like {:?}", info.request_examples),
                )));
            }
            if w.requests.len() > 100 {
                return Err(err(perr(&with(&p, Seg::Key("requests")), "at most 100 request templates")));
            }
            for (i, r) in w.requests.iter().enumerate() {
                let sample = r.replace("{n}", "1");
                if r.len() > limits::MAX_REQUEST_BYTES {
                    return Err(err(perr(
                        &with(&with(&p, Seg::Key("requests")), Seg::Index(i)),
                        "request template is too long",
                    )));
                }
                parse(&sample).map_err(|e| err(perr(&with(&with(&p, Seg::Key("requests")), Seg::Index(i)), e.en)))?;
            }
            let start =
                ms_field(&with(&p, Seg::Key("start_ms")), "start_ms", w.start_ms.unwrap_or(0.0), limits::MAX_DURATION)
                    .map_err(err)?;
            let stop = match w.stop_ms {
                Some(v) => ms_field(&with(&p, Seg::Key("stop_ms")), "stop_ms", v, limits::MAX_DURATION).map_err(err)?,
                None => duration,
            };
            let gap = Micros(((1_000_000.0 / rate).round() as u64).max(1));
            Some(Workload { start, stop, gap, requests: w.requests.clone() })
        }
    };
    let mut clients = ClientPolicy::default();
    if let Some(c) = &s.clients {
        if let Some(r) = c.retry_ms {
            clients.retry = ms_field(&[Seg::Key("clients"), Seg::Key("retry_ms")], "retry_ms", r, limits::MAX_LATENCY)
                .map_err(err)?;
        }
        if let Some(m) = c.max_attempts {
            if !(1..=20).contains(&m) {
                return Err(err(perr(
                    &[Seg::Key("clients"), Seg::Key("max_attempts")],
                    format!("max_attempts = {m} is outside 1 to 20"),
                )));
            }
            clients.max_attempts = m as u8;
        }
    }
    let mut lim = Limits::default();
    if let Some(l) = &s.limits {
        let cap = |name: &'static str, v: Option<i64>, max: u64| -> Result<Option<u64>, PathError> {
            match v {
                None => Ok(None),
                Some(v) if v >= 1 && (v as u64) <= max => Ok(Some(v as u64)),
                Some(v) => {
                    Err(perr(&[Seg::Key("limits"), Seg::Key(name)], format!("{name} = {v} is outside 1 to {max}")))
                }
            }
        };
        if let Some(v) = cap("max_events", l.max_events, limits::HARD_MAX_EVENTS).map_err(err)? {
            lim.max_events = v;
        }
        if let Some(v) = cap("max_in_flight", l.max_in_flight, lim.max_in_flight as u64).map_err(err)? {
            lim.max_in_flight = v as usize;
        }
        if let Some(v) = cap("max_trace_records", l.max_trace_records, lim.max_trace_records as u64).map_err(err)? {
            lim.max_trace_records = v as usize;
        }
    }
    let faults_spec = s.faults.as_deref().unwrap_or_default();
    if faults_spec.len() > limits::MAX_SCHEDULE {
        return Err(err(perr(
            &[Seg::Key("faults")],
            format!("{} faults; the limit is {}", faults_spec.len(), limits::MAX_SCHEDULE),
        )));
    }
    let mut faults = Vec::new();
    for (i, f) in faults_spec.iter().enumerate() {
        let p = vec![Seg::Key("faults"), Seg::Index(i)];
        let at_ms = f.at_ms.ok_or_else(|| err(perr(&p, "a fault needs at_ms, when it happens")))?;
        let at = ms_field(&with(&p, Seg::Key("at_ms")), "at_ms", at_ms, limits::MAX_DURATION).map_err(err)?;
        let command = action(&p, f, nodes, info, &parse, &net).map_err(err)?;
        faults.push(Scheduled { at, command });
    }
    for (k, t) in [("title", &s.title), ("summary", &s.summary)] {
        if let Some(t) = t {
            check_text(&[Seg::Key(k)], t).map_err(err)?;
        }
    }
    let lesson = match (&s.lesson, &s.steps) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(err(perr(&[Seg::Key("steps")], "steps belong to a lesson; add a [lesson] table with a title")));
        }
        (Some(_), None) => return Err(err(perr(&[Seg::Key("lesson")], "a lesson needs at least one [[steps]] entry"))),
        (Some(l), Some(steps)) => {
            check_text(&[Seg::Key("lesson"), Seg::Key("title")], &l.title).map_err(err)?;
            if let Some(sum) = &l.summary {
                check_text(&[Seg::Key("lesson"), Seg::Key("summary")], sum).map_err(err)?;
            }
            if steps.is_empty() || steps.len() > limits::MAX_SCHEDULE {
                return Err(err(perr(
                    &[Seg::Key("steps")],
                    format!("a lesson has 1 to {} steps", limits::MAX_SCHEDULE),
                )));
            }
            let mut out = Vec::new();
            for (i, st) in steps.iter().enumerate() {
                let p = vec![Seg::Key("steps"), Seg::Index(i)];
                if let Some(t) = &st.title {
                    check_text(&with(&p, Seg::Key("title")), t).map_err(err)?;
                }
                check_text(&with(&p, Seg::Key("text")), &st.text).map_err(err)?;
                let act = |k: &'static str, a: &Option<ActionSpec>| -> Result<Option<Command>, Vec<LoadError>> {
                    let Some(a) = a else { return Ok(None) };
                    let ap = with(&p, Seg::Key(k));
                    if a.at_ms.is_some() {
                        return Err(err(perr(
                            &with(&ap, Seg::Key("at_ms")),
                            "at_ms belongs in [[faults]]; a step's action happens when the step starts",
                        )));
                    }
                    action(&ap, a, nodes, info, &parse, &net).map(Some).map_err(err)
                };
                let action_cmd = act("do", &st.action)?;
                let solution = act("solution", &st.solution)?;
                let until = st
                    .until
                    .as_ref()
                    .map(|c| condition(&with(&p, Seg::Key("until")), c, nodes, info, 0))
                    .transpose()
                    .map_err(err)?;
                if solution.is_some() && until.is_none() {
                    return Err(err(perr(
                        &with(&p, Seg::Key("solution")),
                        "a solution only makes sense with an until condition",
                    )));
                }
                let within = match st.within_ms {
                    Some(v) => {
                        ms_field(&with(&p, Seg::Key("within_ms")), "within_ms", v, limits::MAX_DURATION).map_err(err)?
                    }
                    None => crate::lesson::DEFAULT_WITHIN,
                };
                if within.0 == 0 {
                    return Err(err(perr(&with(&p, Seg::Key("within_ms")), "within_ms must be more than 0")));
                }
                let play = match st.play.as_deref() {
                    None | Some("auto") => crate::lesson::Play::Auto,
                    Some("learner") => crate::lesson::Play::Learner,
                    Some(other) => {
                        return Err(err(perr(
                            &with(&p, Seg::Key("play")),
                            format!(
                                "play = '{other}' must be \"auto\" (the lab plays) or \"learner\" (the learner presses Play)"
                            ),
                        )));
                    }
                };
                let pace = st.pace.map(|v| pace_field(&with(&p, Seg::Key("pace")), v)).transpose().map_err(err)?;
                let solution_at = match st.solution_at {
                    None => None,
                    Some(n) if solution.is_some() && st.stay && n >= 1 && (n as usize) <= i => Some(n as usize - 1),
                    Some(n) => {
                        return Err(err(perr(
                            &with(&p, Seg::Key("solution_at")),
                            format!(
                                "solution_at = {n}: the solution of a what-if step (stay = true, with a solution) \
                                 can be done where an earlier step began, 1 to {i}"
                            ),
                        )));
                    }
                };
                out.push(Step {
                    title: st.title.as_ref().map(text),
                    text: text(&st.text),
                    action: action_cmd,
                    until,
                    solution,
                    solution_at,
                    within,
                    challenge: st.challenge,
                    play,
                    stay: st.stay,
                    pace,
                    at: span_at(doc, &p).map_or((0, 0), |s| line_col(src.text, s.start)),
                });
            }
            let lp = [Seg::Key("lesson")];
            let pace = l.pace.map(|v| pace_field(&with(&lp, Seg::Key("pace")), v)).transpose().map_err(err)?;
            let mut switches = Vec::new();
            for (i, k) in l.switches.iter().flatten().enumerate() {
                let sp = with(&with(&lp, Seg::Key("switches")), Seg::Index(i));
                switches.push(switch_key(&sp, k, info).map_err(err)?);
            }
            let mut panels = Vec::new();
            for (i, k) in l.panels.iter().flatten().enumerate() {
                if !crate::lesson::PANELS.contains(&k.as_str()) {
                    return Err(err(perr(
                        &with(&with(&lp, Seg::Key("panels")), Seg::Index(i)),
                        format!("unknown panel '{k}'; a lesson can open {}", crate::lesson::PANELS.join(", ")),
                    )));
                }
                panels.push(k.clone());
            }
            Some(Lesson {
                title: text(&l.title),
                summary: l.summary.as_ref().map(text),
                order: l.order.unwrap_or(0),
                pace,
                switches,
                panels,
                steps: out,
            })
        }
    };
    let name = match (&lesson, &s.name) {
        (_, Some(n)) => n.clone(),
        (Some(l), None) => l.title.en.clone(),
        (None, None) => src.name.rsplit('/').next().unwrap_or(src.name).trim_end_matches(".toml").to_string(),
    };
    Ok(Scenario {
        name,
        seed: seed as u64,
        nodes,
        duration,
        network: net,
        clocks,
        faults,
        workload,
        clients,
        limits: lim,
        lesson,
        title: s.title.as_ref().map(text),
        summary: s.summary.as_ref().map(text),
        factory,
    })
}
