//! The scenario and lesson files, fetched from the page's `lessons/`
//! directory (written at build time by `distlab export-lessons`; see
//! `distlab_core::publish`). The catalogue is fetched before the page
//! mounts, with the file the address names and the default scenario, so
//! the page opens at once; any other file is fetched when it is opened and
//! kept for the rest of the visit.

use distlab_core::publish::{self, CatalogRow, PublishedFile};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The scenario the lab opens with.
pub const DEFAULT: &str = "raft/playground.toml";

#[derive(Default)]
struct Store {
    catalog: Vec<CatalogRow>,
    files: BTreeMap<String, Rc<PublishedFile>>,
    /// What went wrong while the page started (shown once it mounts).
    problems: Vec<String>,
}

thread_local! {
    static STORE: RefCell<Store> = RefCell::new(Store::default());
}

/// The catalogue: every file the page lists, lessons first.
pub fn catalog() -> Vec<CatalogRow> {
    STORE.with(|s| s.borrow().catalog.clone())
}

/// The catalogue's row for `path`.
pub fn row(path: &str) -> Option<CatalogRow> {
    STORE.with(|s| s.borrow().catalog.iter().find(|r| r.path == path).cloned())
}

/// Whether the catalogue lists `path`.
pub fn listed(path: &str) -> bool {
    STORE.with(|s| s.borrow().catalog.iter().any(|r| r.path == path))
}

/// A file already fetched.
pub fn cached(path: &str) -> Option<Rc<PublishedFile>> {
    STORE.with(|s| s.borrow().files.get(path).cloned())
}

/// What went wrong while the page started, once.
pub fn take_problems() -> Vec<String> {
    STORE.with(|s| std::mem::take(&mut s.borrow_mut().problems))
}

/// Puts files into the store as if fetched, and lists them (the web
/// tests, which run without a server). Step texts show as escaped text.
pub fn preload(files: &[(&str, &str)]) {
    let mut rows = Vec::new();
    STORE.with(|s| {
        let mut s = s.borrow_mut();
        for (path, text) in files {
            let source = distlab_core::scenario::Source { name: path, text };
            if let Ok(sc) = distlab_core::scenario::load(source) {
                rows.push(CatalogRow::of(path, &sc));
            }
            let file = PublishedFile { text: (*text).to_string(), html: Vec::new() };
            s.files.insert((*path).to_string(), Rc::new(file));
        }
        CatalogRow::sort(&mut rows);
        s.catalog = rows;
    });
}

async fn fetch(url: &str) -> Result<web_sys::Response, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(url)).await.map_err(|e| said(url, e))?;
    let response: web_sys::Response = response.dyn_into().map_err(|e| said(url, e))?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {} {}", response.status(), response.status_text()));
    }
    Ok(response)
}

/// A JavaScript error from fetching or loading `url`, as a message naming it.
pub(crate) fn said(url: &str, e: wasm_bindgen::JsValue) -> String {
    format!("{url}: {}", e.as_string().unwrap_or_else(|| format!("{e:?}")))
}

async fn fetch_text(url: &str, limit: usize) -> Result<String, String> {
    let response = fetch(url).await?;
    let text = JsFuture::from(response.text().map_err(|e| said(url, e))?).await.map_err(|e| said(url, e))?;
    let text = text.as_string().unwrap_or_default();
    if text.len() > limit {
        return Err(format!("{url}: {} bytes; the limit is {limit}", text.len()));
    }
    Ok(text)
}

/// Fetches `url` (relative to the page) as bytes, at most `limit` of them.
pub async fn fetch_bytes(url: &str, limit: usize) -> Result<Vec<u8>, String> {
    let response = fetch(url).await?;
    let buffer = response.array_buffer().map_err(|e| said(url, e))?;
    let buffer = JsFuture::from(buffer).await.map_err(|e| said(url, e))?;
    let bytes = js_sys::Uint8Array::new(&buffer);
    if bytes.length() as usize > limit {
        return Err(format!("{url}: {} bytes; the limit is {limit}", bytes.length()));
    }
    Ok(bytes.to_vec())
}

/// Fetches `path` (a path under tutorials/ the catalogue lists), or returns
/// it from the store, once its protocol's code is loaded ([`crate::code`]).
pub async fn file(path: &str) -> Result<Rc<PublishedFile>, String> {
    // The protocol's code first, if the first load left it out: every
    // scenario the page opens comes through here (or from `preload`).
    if let Some(r) = row(path) {
        crate::code::ensure(&r.protocol).await?;
        if r.lesson {
            crate::code::ensure(crate::code::LESSONS).await?;
        }
    }
    if let Some(f) = cached(path) {
        return Ok(f);
    }
    if !listed(path) {
        return Err(format!("'{path}' is not in this build's catalogue"));
    }
    let url = publish::file_url(path);
    let text = fetch_text(&url, publish::MAX_FILE).await?;
    let file: PublishedFile = serde_json::from_str(&text).map_err(|e| format!("{url}: {e}"))?;
    let file = Rc::new(file);
    STORE.with(|s| s.borrow_mut().files.insert(path.to_string(), file.clone()));
    Ok(file)
}

/// Fetches the catalogue, then the files in `wanted` (the default
/// scenario, the file the address names), before the page mounts. What
/// fails is kept for [`take_problems`]; the page still mounts.
pub async fn boot(wanted: &[String]) {
    let url = format!("{}/{}", publish::DIR, publish::CATALOG);
    let rows = fetch_text(&url, publish::MAX_CATALOG)
        .await
        .and_then(|t| serde_json::from_str::<Vec<CatalogRow>>(&t).map_err(|e| format!("{url}: {e}")));
    let mut problems = Vec::new();
    match rows {
        Ok(mut rows) => {
            // A protocol this build leaves out (DISTLAB_WITHOUT) is not listed.
            rows.retain(|r| distlab_core::protocols::find(&r.protocol).is_some());
            rows.truncate(publish::MAX_ROWS);
            STORE.with(|s| s.borrow_mut().catalog = rows);
        }
        Err(e) => problems.push(e),
    }
    for path in wanted {
        if listed(path)
            && let Err(e) = file(path).await
        {
            problems.push(e);
        }
    }
    STORE.with(|s| s.borrow_mut().problems.extend(problems));
}
