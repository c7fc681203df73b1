//! Embeds every file in tutorials/ into the web bundle (lessons are data;
//! the page reads them with the same loader as the CLI), and renders every
//! lesson text (Markdown) to safe HTML with `src/lesson/markdown.rs`, so the
//! bundle carries HTML instead of a Markdown parser.

#[path = "src/lesson/key.rs"]
mod key;
#[allow(dead_code)]
#[path = "src/lesson/markdown.rs"]
mod markdown;

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

/// Every Markdown string under a `text` or `summary` key (`text.en`, ...).
fn markdown_texts(v: &toml::Value, inside: bool, out: &mut Vec<String>) {
    match v {
        toml::Value::String(s) if inside => out.push(s.clone()),
        toml::Value::Table(t) => {
            for (k, v) in t {
                markdown_texts(v, inside || k == "text" || k == "summary", out);
            }
        }
        toml::Value::Array(a) => a.iter().for_each(|v| markdown_texts(v, inside, out)),
        _ => {}
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../tutorials");
    println!("cargo:rerun-if-changed={}", root.display());
    println!("cargo:rerun-if-env-changed=DISTLAB_WITHOUT");
    let mut files = Vec::new();
    toml_files(&root, &mut files);
    // `DISTLAB_WITHOUT` (see core/build.rs) leaves those protocols' files out too.
    let without: Vec<String> =
        std::env::var("DISTLAB_WITHOUT").unwrap_or_default().split(',').map(|p| p.trim().to_string()).collect();
    files.retain(|f| {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let protocol = text.parse::<toml::Table>().ok().and_then(|t| t.get("protocol")?.as_str().map(str::to_string));
        !protocol.is_some_and(|p| without.contains(&p))
    });
    files.sort();
    let mut texts = Vec::new();
    for f in &files {
        // A file that does not parse is reported by the loader at run time.
        if let Ok(v) = std::fs::read_to_string(f).unwrap_or_default().parse::<toml::Table>() {
            markdown_texts(&toml::Value::Table(v), false, &mut texts);
        }
    }
    texts.sort();
    texts.dedup();
    let mut code = String::from("/// Lesson HTML, rendered at build time (see build.rs), by `key::key`.\n");
    code.push_str("pub static LESSON_HTML: &[((u32, u64), &str)] = &[\n");
    let mut keys = std::collections::BTreeMap::new();
    for t in &texts {
        let key = key::key(t);
        if let Some(other) = keys.insert(key, t) {
            panic!("two lesson texts share the key {key:?}; change one of them:\n{other}\n---\n{t}");
        }
        writeln!(code, "    ({key:?}, {:?}),", markdown::to_html(t)).unwrap();
    }
    code.push_str("];\n");
    code.push_str("/// Every file in tutorials/: (path relative to tutorials/, contents).\n");
    code.push_str("pub static TUTORIALS: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f.strip_prefix(&root).unwrap().display().to_string();
        writeln!(code, "    ({rel:?}, include_str!({:?})),", f.display().to_string()).unwrap();
    }
    code.push_str("];\n");
    std::fs::write(PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("tutorials.rs"), code).unwrap();
}
