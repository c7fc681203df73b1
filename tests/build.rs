//! Embeds every lesson in tutorials/ and every scenario in tests/scenarios/
//! into the test library, so native and wasm tests read the same bytes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(toml_files(&p));
            } else if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn table(name: &str, dir: &Path, code: &mut String) {
    println!("cargo:rerun-if-changed={}", dir.display());
    writeln!(code, "/// Files embedded from `{}`.", dir.display()).unwrap();
    writeln!(code, "pub static {name}: &[(&str, &str)] = &[").unwrap();
    for f in toml_files(dir) {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f.strip_prefix(dir).unwrap().display().to_string();
        writeln!(code, "    ({rel:?}, include_str!({:?})),", f.display().to_string()).unwrap();
    }
    writeln!(code, "];").unwrap();
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let mut code = String::new();
    table("TUTORIALS", &root.join("../tutorials"), &mut code);
    table("SCENARIOS", &root.join("scenarios"), &mut code);
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("embedded.rs");
    std::fs::write(out, code).unwrap();
}
