//! `distlab bench`: one table from one run. Native throughput and seek are
//! measured here; wasm throughput and seek are measured in headless
//! Chromium on the shipped bundle (`dist/`, built by `make build`) through
//! `tests/e2e/bench.mjs`, which calls the page's exported bench functions.
//! Benchmarks are reported, not asserted: targets are shown beside them.

use distlab_core::Micros;
use distlab_core::bench::{self, Workload, workloads};
use distlab_core::rng::{Domain, Rng};
use serde::Deserialize;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Instant;

/// Options of `distlab bench`.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// Events per throughput run.
    #[arg(long, default_value_t = 2_000_000)]
    events: u64,
    /// Length of the run that seek is measured on, in events.
    #[arg(long, default_value_t = 1_000_000)]
    seek_events: u64,
    /// Random seek targets per measurement.
    #[arg(long, default_value_t = 25)]
    seeks: u32,
    /// The built page (for wasm measurements and bundle size).
    #[arg(long, default_value = "dist")]
    dist: PathBuf,
    /// Skip the browser measurements.
    #[arg(long)]
    native_only: bool,
    /// Also build the page without each protocol (and without any) to show
    /// what each adds to the first load. Takes a release page build per
    /// protocol (minutes); `make bench` passes it.
    #[arg(long)]
    marginal: bool,
}

const MAX_BENCH_EVENTS: u64 = 20_000_000;

/// The headline workload (the registry's first, Raft).
fn headline() -> Workload {
    workloads().next().expect("a registered protocol")
}

/// Events per second of `events` events of `w`, warm, on this machine's
/// clock (see [`bench::throughput`]).
fn throughput(w: &Workload, events: u64, store: bool) -> Result<(f64, String), String> {
    let t0 = Instant::now();
    bench::throughput(w, events, store, bench::warm_up(events), &|| t0.elapsed().as_secs_f64() * 1000.0)
}

/// Median and maximum milliseconds to seek to random points of a run.
fn seek_latency(events: u64, samples: u32) -> Result<(f64, f64), String> {
    let mut sim = headline().start(true)?;
    sim.run_events(events).map_err(|e| e.to_string())?;
    let end = sim.now().0;
    let mut rng = Rng::stream(7, Domain::Faults, 1);
    let mut times = Vec::new();
    for _ in 0..samples {
        let target = Micros(rng.range_inclusive(0, end));
        let t = Instant::now();
        sim.seek(target).map_err(|e| e.to_string())?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], times[times.len() - 1]))
}

#[derive(Deserialize)]
struct Browser {
    events_per_s: f64,
    cold_events_per_s: f64,
    trace: String,
    seek_median_ms: f64,
    seek_max_ms: f64,
    bundle_gzip_bytes: u64,
    bundle: Vec<(String, u64)>,
    /// The code the first load leaves out (web/src/code.rs).
    #[serde(default)]
    deferred: Vec<(String, u64)>,
    frame_ms_median: f64,
    frame_ms_p95: f64,
    frames: u64,
    frames_late: u64,
    in_flight_median: u64,
    nodes: u64,
    ring_frame_ms_median: f64,
    ring_frame_ms_p95: f64,
    ring_frames: u64,
    ring_frames_late: u64,
    ring_moving_median: u64,
    per_protocol: Vec<PerProtocol>,
}

#[derive(Deserialize)]
struct PerProtocol {
    protocol: String,
    events_per_s: f64,
    trace: String,
}

fn browser(args: &BenchArgs) -> Result<Browser, String> {
    let out = Command::new("node")
        .arg("tests/e2e/bench.mjs")
        .arg(&args.dist)
        .arg(args.events.to_string())
        .arg(bench::warm_up(args.events).to_string())
        .arg(args.seek_events.to_string())
        .arg(args.seeks.to_string())
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default();
    serde_json::from_str(last).map_err(|e| format!("bad output from tests/e2e/bench.mjs ({e}): {last}"))
}

/// Gzip bytes of the first load of the page in `dist`, and of the code it
/// leaves out (tests/e2e/bundle.mjs).
fn first_load(dist: &std::path::Path) -> Result<Load, String> {
    let out = Command::new("node")
        .arg("tests/e2e/bundle.mjs")
        .arg(dist)
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    #[derive(Deserialize)]
    struct Sizes {
        total: u64,
        deferred: Vec<(String, u64)>,
    }
    let sizes: Sizes = serde_json::from_slice(&out.stdout).map_err(|e| format!("tests/e2e/bundle.mjs: {e}"))?;
    Ok(Load { first: sizes.total, deferred: sizes.deferred.iter().map(|d| d.1).sum() })
}

/// A page's size, gzip: its first load and the code fetched on demand.
#[derive(Clone, Copy)]
struct Load {
    first: u64,
    deferred: u64,
}

/// The first load of the page built without the protocols in `without`
/// (`DISTLAB_WITHOUT`, see core/build.rs), into a scratch directory next to
/// the build output.
fn first_load_without(without: &[&str], label: &str) -> Result<Load, String> {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let dist = target.join("bench-pages").join(label);
    let mut trunk = Command::new("trunk");
    trunk.args(["build", "--release", "--offline"]).arg("--dist").arg(&dist).env("DISTLAB_WITHOUT", without.join(","));
    let out = trunk.output().map_err(|e| format!("cannot run trunk: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("trunk build without {label} failed: {}", err.lines().last().unwrap_or_default()));
    }
    first_load(&dist)
}

/// Rows of what each protocol adds to the page, to its first load and to
/// the code fetched on demand: the page built without it, subtracted from
/// the page with all of them (`full`), and the page with none (the engine,
/// the loader and the UI alone).
fn marginal_rows(full: Load) {
    let names: Vec<&str> = distlab_core::protocols::all().iter().map(|p| (p.info)().name).collect();
    let kb = |b: i64| format!("{:.1} KB", b as f64 / 1024.0);
    let both = |first: i64, deferred: i64| format!("{} first load, {} on demand", kb(first), kb(deferred));
    row("what each protocol adds (its code and its lessons), gzip", String::new(), "", None);
    let mut own = Some((0i64, 0i64));
    for name in &names {
        match first_load_without(&[name], name) {
            Ok(without) => {
                let d = (full.first as i64 - without.first as i64, full.deferred as i64 - without.deferred as i64);
                row(&format!("  {name}"), both(d.0, d.1), "", None);
                own = own.map(|o| (o.0 + d.0, o.1 + d.1));
            }
            Err(e) => {
                eprintln!("bench: {e}");
                own = None;
            }
        }
    }
    match first_load_without(&names, "all-protocols") {
        Ok(none) => {
            // Code two or more protocols use (fencing, the hashing library)
            // is in no single protocol's row.
            if let Some(own) = own {
                let first = full.first as i64 - none.first as i64 - own.0;
                let deferred = full.deferred as i64 - none.deferred as i64 - own.1;
                row("  shared by several protocols", both(first, deferred), "", None);
            }
            row("  the page with no protocol (engine, loader, UI)", kb(none.first as i64), "", None);
        }
        Err(e) => eprintln!("bench: {e}"),
    }
}

fn row(measure: &str, value: String, target: &str, ok: Option<bool>) {
    let verdict = match ok {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "",
    };
    println!("| {measure:<72} | {value:>18} | {target:<14} | {verdict:<6} |");
}

fn fmt_rate(r: f64) -> String {
    let s = format!("{:.0}", r);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Runs the benchmark and prints the table.
pub fn main(args: BenchArgs) -> ExitCode {
    if args.events == 0
        || args.events > MAX_BENCH_EVENTS
        || args.seek_events == 0
        || args.seek_events > MAX_BENCH_EVENTS
    {
        eprintln!("--events and --seek-events must be 1 to {MAX_BENCH_EVENTS}");
        return ExitCode::from(2);
    }
    if args.seeks == 0 || args.seeks > 1_000 {
        eprintln!("--seeks must be 1 to 1000");
        return ExitCode::from(2);
    }
    println!("DistLab benchmark: Raft, 5 nodes, steady client load (tests/bench/raft-steady.toml)");
    println!(
        "invariants checked after every event; {} events per throughput run, median of {} runs after an untimed warm-up of {}\n",
        args.events,
        bench::RUNS,
        bench::warm_up(args.events)
    );
    println!("| {:<72} | {:>18} | {:<14} | {:<6} |", "measure", "value", "target", "");
    println!("|{}|{}|{}|{}|", "-".repeat(74), "-".repeat(20), "-".repeat(16), "-".repeat(8));
    let native = match throughput(&headline(), args.events, true) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("bench: {e}");
            return ExitCode::from(1);
        }
    };
    row("native events/s, trace stored", fmt_rate(native.0), ">= 5,000,000", Some(native.0 >= 5_000_000.0));
    if let Ok((r, _)) = throughput(&headline(), args.events, false) {
        row("native events/s, trace hash only", fmt_rate(r), "", None);
    }
    match seek_latency(args.seek_events, args.seeks) {
        Ok((med, max)) => row(
            &format!("native seek in a {}-event run, median / max", fmt_rate(args.seek_events as f64)),
            format!("{med:.1} / {max:.1} ms"),
            "< 50 ms",
            Some(max < 50.0),
        ),
        Err(e) => eprintln!("bench: seek: {e}"),
    }
    // Every protocol on its own workload (tests/bench/), trace stored.
    let mut natives = Vec::new();
    for w in workloads() {
        match throughput(&w, args.events, true) {
            Ok(r) => natives.push((w.protocol, r)),
            Err(e) => eprintln!("bench: {}: {e}", w.path),
        }
    }
    let per_protocol_rows = |wasm: &[PerProtocol]| {
        for (protocol, (rate, hash)) in &natives {
            let on_wasm = wasm.iter().find(|p| p.protocol == *protocol);
            let value = match on_wasm {
                Some(p) => format!("{} / {}", fmt_rate(*rate), fmt_rate(p.events_per_s)),
                None => fmt_rate(*rate),
            };
            let what = if on_wasm.is_some() { "native / wasm events/s" } else { "native events/s" };
            let same = on_wasm.map(|p| p.trace == *hash);
            let note = match same {
                Some(true) => ", same trace",
                Some(false) => ", TRACES DIFFER",
                None => "",
            };
            let target = if same.is_some() { "wasm <= 1.3x" } else { "" };
            let ok = on_wasm.map(|p| same == Some(true) && *rate / p.events_per_s <= 1.3);
            row(&format!("  {protocol}: {what}{note}"), value, target, ok);
        }
    };
    if args.native_only {
        per_protocol_rows(&[]);
        return ExitCode::SUCCESS;
    }
    match browser(&args) {
        Ok(b) => {
            row(
                "wasm events/s, the page's first run (optimising compiler not yet in)",
                fmt_rate(b.cold_events_per_s),
                "",
                None,
            );
            row("wasm events/s, trace stored (Chromium, shipped bundle)", fmt_rate(b.events_per_s), "", None);
            let slowdown = native.0 / b.events_per_s;
            row("wasm slowdown against native", format!("{slowdown:.2}x"), "<= 1.3x", Some(slowdown <= 1.3));
            if b.trace != native.1 {
                row("wasm trace equals native", "NO".into(), "equal", Some(false));
            } else {
                row("wasm trace equals native", "yes".into(), "equal", Some(true));
            }
            row(
                &format!("wasm seek in a {}-event run, median / max", fmt_rate(args.seek_events as f64)),
                format!("{:.1} / {:.1} ms", b.seek_median_ms, b.seek_max_ms),
                "< 50 ms",
                Some(b.seek_max_ms < 50.0),
            );
            // Chromium coarsens frame timestamps to 0.1 ms, so a frame on time
            // at 60 Hz (16.67 ms) reads as 16.6 to 16.8.
            row(
                &format!(
                    "lab frame time, {} nodes, {} in flight, {} frames ({} late), median / p95",
                    b.nodes, b.in_flight_median, b.frames, b.frames_late
                ),
                format!("{:.1} / {:.1} ms", b.frame_ms_median, b.frame_ms_p95),
                "p95 <= 16.7±.1 ms",
                Some(b.frame_ms_p95 <= 16.7 + 0.1 + 1e-9),
            );
            // The bar for the ring view: at least 30 frames per second.
            row(
                &format!(
                    "ring view, 1,000 vnodes, 10,000 keys, S11 joining ({} keys to go), {} frames ({} late), median / p95",
                    b.ring_moving_median, b.ring_frames, b.ring_frames_late
                ),
                format!(
                    "{:.1} / {:.1} ms ({:.0} fps at p95)",
                    b.ring_frame_ms_median,
                    b.ring_frame_ms_p95,
                    1000.0 / b.ring_frame_ms_p95.max(1e-3)
                ),
                ">= 30 fps",
                Some(b.ring_frame_ms_p95 <= 1000.0 / 30.0),
            );
            row(
                "first load: wasm + js + css, gzip",
                format!("{:.1} KB", b.bundle_gzip_bytes as f64 / 1024.0),
                "<= 600 KB",
                Some(b.bundle_gzip_bytes <= 600 * 1024),
            );
            for (name, bytes) in &b.bundle {
                row(&format!("  {name}"), format!("{:.1} KB", *bytes as f64 / 1024.0), "", None);
            }
            let deferred: u64 = b.deferred.iter().map(|d| d.1).sum();
            row(
                "code fetched when a protocol outside the first load opens, gzip",
                format!("{:.1} KB", deferred as f64 / 1024.0),
                "",
                None,
            );
            for (name, bytes) in &b.deferred {
                row(&format!("  {name}"), format!("{:.1} KB", *bytes as f64 / 1024.0), "", None);
            }
            if args.marginal {
                marginal_rows(Load { first: b.bundle_gzip_bytes, deferred });
            }
            row("per protocol, own workload (tests/bench/), trace stored", String::new(), "", None);
            per_protocol_rows(&b.per_protocol);
        }
        Err(e) => {
            eprintln!("bench: browser measurements skipped: {e}");
            eprintln!("bench: build the page first (make build), or pass --native-only");
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}
