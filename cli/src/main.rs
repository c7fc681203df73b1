//! `distlab`: run scenarios and lessons headless, check lesson files,
//! benchmark the simulator, and compare key-placement schemes.
//!
//! Exit codes: 0 success; 1 a run failed (a limit, a lesson step that never
//! came true) or `check` found problems; 2 the command line or a file could
//! not be used.

#![forbid(unsafe_code)]

mod bench;
mod export;
mod markdown;
mod protocols;
mod report;
mod ring;

use clap::{Parser, Subcommand};
use distlab_core::scenario::{self, Source, StartOptions};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "distlab",
    version,
    about = "DistLab: run, check and benchmark distributed-systems scenarios headless."
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a scenario or lesson file headless and report what happened.
    Run {
        /// The scenario or lesson file (TOML).
        file: PathBuf,
        /// Seed to use instead of the file's.
        #[arg(long)]
        seed: Option<u64>,
        /// Run until this simulated time in milliseconds instead of the file's duration.
        #[arg(long, value_name = "T")]
        until_ms: Option<f64>,
        /// Print one JSON object instead of the text report.
        #[arg(long)]
        json: bool,
        /// Also write the full trace as JSON to this file.
        #[arg(long, value_name = "FILE")]
        trace: Option<PathBuf>,
        /// For a lesson: print what the lab shows at the end of each step
        /// (nodes, fields, figures), to read a lesson's numbers off a run.
        #[arg(long)]
        steps: bool,
    },
    /// Validate scenario and lesson files (directories are searched for .toml files).
    Check {
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Only parse and validate; do not replay lessons.
        #[arg(long)]
        no_replay: bool,
    },
    /// Measure the simulator and print one table.
    Bench(bench::BenchArgs),
    /// Compare key-placement schemes (mod-N, ring, jump, rendezvous, bounded loads).
    Ring(ring::RingArgs),
    /// Publish scenario and lesson files for the page: a catalogue and, per
    /// file, its text with every step text rendered to safe HTML (the page
    /// build runs this; see Trunk.toml).
    ExportLessons {
        /// The directory of scenario and lesson files (tutorials/).
        from: PathBuf,
        /// Where to write (the page's lessons/ directory).
        to: PathBuf,
    },
    /// List every protocol: roles, messages, timers, invariants, break-it
    /// switches and config keys with their defaults.
    Protocols {
        /// Print one JSON array instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Most files `check` reads in one call.
const MAX_CHECK_FILES: usize = 10_000;

fn read(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    if meta.len() > distlab_core::limits::MAX_FILE_BYTES as u64 {
        return Err(format!(
            "{}:1:1: the file is {} bytes; the limit is {} bytes",
            path.display(),
            meta.len(),
            distlab_core::limits::MAX_FILE_BYTES
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{}:1:1: this is not UTF-8 text (bad byte at offset {}); is it a binary file?",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

fn load(path: &Path) -> Result<scenario::Scenario, Vec<String>> {
    let text = read(path).map_err(|e| vec![e])?;
    let name = path.display().to_string();
    scenario::load(Source { name: &name, text: &text }).map_err(|ds| ds.iter().map(|d| d.to_string()).collect())
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    if out.len() > MAX_CHECK_FILES {
        return Err(format!("more than {MAX_CHECK_FILES} files; check a smaller directory"));
    }
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: cannot list: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            if e.is_dir() || e.extension().is_some_and(|x| x == "toml") {
                collect(&e, out)?;
            }
        }
    } else if path.exists() {
        out.push(path.to_path_buf());
    } else {
        return Err(format!("{}: no such file or directory", path.display()));
    }
    Ok(())
}

fn run(
    file: &Path,
    seed: Option<u64>,
    until_ms: Option<f64>,
    json: bool,
    trace_out: Option<&Path>,
    steps: bool,
) -> ExitCode {
    let scenario = match load(file) {
        Ok(s) => s,
        Err(errs) => {
            errs.iter().for_each(|e| eprintln!("{e}"));
            return ExitCode::from(2);
        }
    };
    let until = match until_ms {
        None => scenario.duration,
        Some(ms) if ms.is_finite() && ms >= 0.0 && ms * 1000.0 <= distlab_core::limits::MAX_DURATION.0 as f64 => {
            distlab_core::Micros((ms * 1000.0).round() as u64)
        }
        Some(ms) => {
            eprintln!(
                "--until-ms {ms} is outside 0 to {} ms (the longest run is one day)",
                distlab_core::limits::MAX_DURATION.0 / 1000
            );
            return ExitCode::from(2);
        }
    };
    let store = trace_out.is_some() || scenario.lesson.is_some();
    let mut sim = match scenario.start(seed, StartOptions { store_trace: store }) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            return ExitCode::from(1);
        }
    };
    let mut failure = None;
    let mut show = |r: &distlab_core::lesson::StepReport, sim: &mut dyn distlab_core::sim::Sim| {
        if steps {
            print!("{}", report::step_text(r, sim));
        }
    };
    if scenario.lesson.is_some()
        && let Err(f) = distlab_core::lesson::replay_watching(&scenario, sim.as_mut(), &mut show)
    {
        failure = Some(format!("{}:{}:{}: {f}", file.display(), f.at.0, f.at.1));
    }
    if failure.is_none()
        && sim.now() < until
        && let Err(e) = sim.run_until(until)
    {
        failure = Some(format!("{}: {e}", file.display()));
    }
    let report = report::Report::of(&scenario, sim.as_mut(), failure.clone());
    if json {
        println!("{}", serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")));
    } else {
        print!("{}", report.text());
    }
    if let Some(path) = trace_out {
        let body = report::trace_json(sim.as_ref());
        if let Err(e) = std::fs::write(path, body) {
            eprintln!("{}: cannot write trace: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if let Some(f) = failure {
        eprintln!("{f}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn check(paths: &[PathBuf], no_replay: bool) -> ExitCode {
    let mut files = Vec::new();
    for p in paths {
        if let Err(e) = collect(p, &mut files) {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    }
    if files.is_empty() {
        eprintln!(
            "no .toml files found in {}",
            paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        );
        return ExitCode::from(2);
    }
    let mut bad = 0;
    for f in &files {
        match load(f) {
            Err(errs) => {
                bad += 1;
                errs.iter().for_each(|e| println!("{e}"));
            }
            Ok(s) => {
                let kind = if s.lesson.is_some() { "lesson" } else { "scenario" };
                if let (Some(lesson), false) = (&s.lesson, no_replay) {
                    let replayed = s
                        .start(None, StartOptions { store_trace: true })
                        .map_err(|e| format!("{}: {e}", f.display()))
                        .and_then(|mut sim| {
                            distlab_core::lesson::replay(&s, sim.as_mut())
                                .map(|r| (r, sim.violations().len()))
                                .map_err(|e| format!("{}:{}:{}: {e}", f.display(), e.at.0, e.at.1))
                        });
                    match replayed {
                        Ok((steps, violations)) => println!(
                            "ok {} ({kind} '{}', {} steps replayed to {}, {violations} violations)",
                            f.display(),
                            lesson.title.en,
                            steps.len(),
                            steps.last().map_or(distlab_core::Micros::ZERO, |r| r.done)
                        ),
                        Err(e) => {
                            bad += 1;
                            println!("{e}");
                        }
                    }
                } else {
                    println!("ok {} ({kind} '{}')", f.display(), s.name);
                }
            }
        }
    }
    if bad > 0 {
        eprintln!("{bad} of {} files have problems", files.len());
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Cmd::Run { file, seed, until_ms, json, trace, steps } => {
            run(&file, seed, until_ms, json, trace.as_deref(), steps)
        }
        Cmd::Check { paths, no_replay } => check(&paths, no_replay),
        Cmd::Bench(args) => bench::main(args),
        Cmd::Ring(args) => ring::main(args),
        Cmd::Protocols { json } => protocols::main(json),
        Cmd::ExportLessons { from, to } => match export::export(&from, &to) {
            Ok(n) => {
                println!("published {n} files from {} into {}", from.display(), to.display());
                ExitCode::SUCCESS
            }
            Err(problems) => {
                problems.iter().for_each(|p| eprintln!("{p}"));
                ExitCode::from(1)
            }
        },
    }
}
