//! Where a problem is: a [`Diagnostic`] (file, line, column, sentence), the
//! key path of a semantic error, and how a path is found in toml's spanned
//! document.

use std::fmt;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// A problem in a file, at a place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file's name as given.
    pub file: String,
    /// Line, from 1 (0 when unknown).
    pub line: usize,
    /// Column in characters, from 1 (0 when unknown).
    pub col: usize,
    /// What is wrong, as a sentence.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line.max(1), self.col.max(1), self.message)
    }
}

/// Line and column (both from 1) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// One step of a key path into the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    /// A table key.
    Key(&'static str),
    /// An owned table key (protocol config fields).
    Name(String),
    /// An array element.
    Index(usize),
}

/// A semantic error before it is placed in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathError {
    /// Where.
    pub path: Vec<Seg>,
    /// What.
    pub message: String,
}

pub(super) fn perr(path: &[Seg], message: impl Into<String>) -> PathError {
    PathError { path: path.to_vec(), message: message.into() }
}

fn key_of(seg: &Seg) -> Option<&str> {
    match seg {
        Seg::Key(k) => Some(k),
        Seg::Name(k) => Some(k),
        Seg::Index(_) => None,
    }
}

/// The byte span of the value at `path`, or of the deepest part of the path
/// that exists.
pub(super) fn span_at(doc: &Spanned<DeTable<'_>>, path: &[Seg]) -> Option<Range<usize>> {
    let mut best = doc.span();
    let mut table: Option<&DeTable<'_>> = Some(doc.get_ref());
    let mut value: Option<&Spanned<DeValue<'_>>> = None;
    for seg in path {
        match seg {
            Seg::Index(i) => {
                let Some(DeValue::Array(a)) = value.map(|v| v.get_ref()) else { break };
                let Some(v) = a.get(*i) else { break };
                best = v.span();
                table = match v.get_ref() {
                    DeValue::Table(t) => Some(t),
                    _ => None,
                };
                value = Some(v);
            }
            _ => {
                let want = key_of(seg).unwrap_or_default();
                let Some(t) = table else { break };
                let Some((k, v)) = t.iter().find(|(k, _)| k.get_ref().as_ref() == want) else { break };
                best = if matches!(v.get_ref(), DeValue::Table(_)) { k.span() } else { v.span() };
                table = match v.get_ref() {
                    DeValue::Table(t) => Some(t),
                    _ => None,
                };
                value = Some(v);
            }
        }
    }
    Some(best)
}

/// A file as TOML text, with its name for messages.
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    /// Name (a path) for messages.
    pub name: &'a str,
    /// Contents.
    pub text: &'a str,
}

impl Source<'_> {
    pub(super) fn at(&self, span: Option<Range<usize>>, message: impl Into<String>) -> Diagnostic {
        let (line, col) = span.map_or((0, 0), |s| line_col(self.text, s.start));
        Diagnostic { file: self.name.to_string(), line, col, message: message.into() }
    }

    pub(super) fn toml_error(&self, e: &toml::de::Error) -> Diagnostic {
        let mut msg = e.message().trim().replace('\n', " ");
        // A value refused by its own reader (`ttl_ms = -5`) names the key
        // it was written under, as the semantic checks do.
        if let Some(span) = e.span()
            && let (Some(before), Some(written)) = (self.text.get(..span.start), self.text.get(span.clone()))
        {
            let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
            let key = line.trim_end().strip_suffix('=').map(str::trim).unwrap_or_default();
            let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if plain && !written.is_empty() && msg.starts_with(written) {
                msg = format!("{key} = {msg}");
            }
        }
        self.at(e.span(), msg)
    }
}

/// `path` with one more step.
pub(super) fn with(path: &[Seg], seg: Seg) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.push(seg);
    p
}
