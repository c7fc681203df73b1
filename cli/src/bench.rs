//! `distlab bench` (filled in below).

use std::process::ExitCode;

/// Options of `distlab bench`.
#[derive(clap::Args)]
pub struct BenchArgs {}

/// Runs the benchmark.
pub fn main(_args: BenchArgs) -> ExitCode {
    ExitCode::SUCCESS
}
