//! Embeds every file in tutorials/ into the web bundle (lessons are data;
//! the page reads them with the same loader as the CLI).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                toml_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../tutorials");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    toml_files(&root, &mut files);
    files.sort();
    let mut code = String::from("/// Every file in tutorials/: (path relative to tutorials/, contents).\n");
    code.push_str("pub static TUTORIALS: &[(&str, &str)] = &[\n");
    for f in files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f.strip_prefix(&root).unwrap().display().to_string();
        writeln!(code, "    ({rel:?}, include_str!({:?})),", f.display().to_string()).unwrap();
    }
    code.push_str("];\n");
    std::fs::write(PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("tutorials.rs"), code).unwrap();
}
