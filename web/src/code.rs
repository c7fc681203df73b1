//! Code the first load leaves out. The release build moves the protocols
//! the default scenario does not use into a second wasm module
//! (`tools/split`, run by a Trunk hook; see ARCHITECTURE.md, "Code the
//! first load leaves out"). The page's module then exports
//! `distlab_deferred` (the second module's tag, which names its file) and
//! one `distlab_deferred:<label>` per label moved (a protocol, [`LESSONS`],
//! `stage`).
//!
//! Everything that opens a scenario goes through [`ensure`] first, which
//! fetches the module without blocking: the lesson store does it for every
//! file it hands out (`lesson::files::file`), and the benchmark for every
//! workload. Should moved code be called before that (the compiler can
//! fold identical functions of two protocols into one, named after either),
//! the forwarder finds its table slot empty and calls
//! [`distlab_code_load_now`], which loads the module synchronously and says
//! so on the console, so the page does not trap on code it has not loaded.
//! Only if that load fails too (the file is gone after a redeploy, the
//! network is down, an embedder forbids synchronous requests) does the
//! call end in a JavaScript error naming the file. A build that was not
//! split (the web tests, a debug build) has no marker, and [`ensure`]
//! returns at once.

use js_sys::{Object, Promise, Reflect, WebAssembly};
use std::cell::{Cell, RefCell};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::lesson::files::said;

/// The marker export (see the module docs).
const MARKER: &str = "distlab_deferred";
/// The import module name the second module expects the page's exports under.
const PRIMARY: &str = "p";
/// The label of the lesson code (steps, conditions, the lesson pane) in
/// the second module.
pub const LESSONS: &str = "lesson";
/// The largest second module the page accepts (Chromium compiles at most
/// 8 MB synchronously, which the fallback does).
pub const MAX_BYTES: usize = 8 << 20;

thread_local! {
    static LOADED: Cell<bool> = const { Cell::new(false) };
    /// The load under way, shared by every caller that waits for it.
    static LOADING: RefCell<Option<Promise>> = const { RefCell::new(None) };
}

/// The second module's tag, if this build was split.
fn tag() -> Option<u32> {
    let g = Reflect::get(&wasm_bindgen::exports(), &MARKER.into()).ok()?;
    let g: WebAssembly::Global = g.dyn_into().ok()?;
    // An i32 global reads as a JS number in i32 range.
    g.value().as_f64().map(|v| v as i32 as u32)
}

/// Whether the code labelled `label` (a protocol, or [`LESSONS`]) sits in
/// the second module (and so needs [`ensure`] before it runs).
pub fn deferred(label: &str) -> bool {
    Reflect::has(&wasm_bindgen::exports(), &format!("{MARKER}:{label}").into()).unwrap_or(false)
}

/// The second module's file, relative to the page.
fn url() -> Option<String> {
    tag().map(|t| format!("deferred-{t:08x}.wasm"))
}

/// Makes the code labelled `label` (a protocol, or [`LESSONS`]) callable:
/// loads the second module once if that code is in it. A failed load is
/// said (file and reason) and may be tried again.
pub async fn ensure(label: &str) -> Result<(), String> {
    if LOADED.get() || !deferred(label) {
        return Ok(());
    }
    let promise = LOADING.with(|l| {
        l.borrow_mut()
            .get_or_insert_with(|| {
                wasm_bindgen_futures::future_to_promise(async {
                    load().await.map(|()| JsValue::UNDEFINED).map_err(|e| JsValue::from_str(&e))
                })
            })
            .clone()
    });
    let done = JsFuture::from(promise.clone()).await;
    // Forget this load (only this one: a later one may be under way), so a
    // failed load can be tried again.
    LOADING.with(|l| {
        let mut l = l.borrow_mut();
        if l.as_ref().is_some_and(|p| js_sys::Object::is(p, &promise)) {
            *l = None;
        }
    });
    done.map(|_| ()).map_err(|e| e.as_string().unwrap_or_else(|| format!("{e:?}")))
}

/// The imports the second module expects: the page's own exports.
fn imports(url: &str) -> Result<Object, String> {
    let imports = Object::new();
    Reflect::set(&imports, &PRIMARY.into(), &wasm_bindgen::exports()).map_err(|e| said(url, e))?;
    Ok(imports)
}

async fn load() -> Result<(), String> {
    let url = url().ok_or("this build has no second module")?;
    let bytes = crate::lesson::files::fetch_bytes(&url, MAX_BYTES).await?;
    if LOADED.get() {
        return Ok(());
    }
    // Instantiating runs the module's element segments, which fill the
    // page's table slots for the moved functions.
    JsFuture::from(WebAssembly::instantiate_buffer(&bytes, &imports(&url)?)).await.map_err(|e| said(&url, e))?;
    LOADED.set(true);
    Ok(())
}

/// Loads the second module synchronously (a blocking request, then a
/// synchronous compile). Called by a forwarder of moved code that finds
/// its slot empty (see the module docs), never by the page itself.
#[wasm_bindgen]
pub fn distlab_code_load_now() {
    if LOADED.get() {
        return;
    }
    match load_now() {
        Ok(url) => {
            LOADED.set(true);
            // The stack says which function (in a build with names, see
            // scripts/post-build.sh).
            let msg = format!("{url}: moved code was called before it was loaded; loaded it synchronously");
            let stack = Reflect::get(&js_sys::Error::new("called from"), &"stack".into()).unwrap_or_default();
            web_sys::console::warn_2(&msg.into(), &stack);
        }
        Err(e) => wasm_bindgen::throw_str(&e),
    }
}

fn load_now() -> Result<String, String> {
    let url = url().ok_or("this build has no second module")?;
    let xhr = web_sys::XmlHttpRequest::new().map_err(|e| said(&url, e))?;
    xhr.open_with_async("GET", &url, false).map_err(|e| said(&url, e))?;
    // A synchronous request cannot ask for bytes; this keeps each byte as one
    // UTF-16 unit (U+F700 + byte for the upper half).
    xhr.override_mime_type("text/plain; charset=x-user-defined").map_err(|e| said(&url, e))?;
    xhr.send().map_err(|e| said(&url, e))?;
    let status = xhr.status().map_err(|e| said(&url, e))?;
    if status != 200 {
        return Err(format!("{url}: HTTP {status}"));
    }
    let text = xhr.response_text().map_err(|e| said(&url, e))?.unwrap_or_default();
    let bytes: Vec<u8> = text.encode_utf16().map(|u| (u & 0xff) as u8).collect();
    if bytes.len() > MAX_BYTES {
        return Err(format!("{url}: {} bytes; the limit is {MAX_BYTES}", bytes.len()));
    }
    let module = WebAssembly::Module::new(&js_sys::Uint8Array::from(&bytes[..]).into()).map_err(|e| said(&url, e))?;
    WebAssembly::Instance::new(&module, &imports(&url)?).map_err(|e| said(&url, e))?;
    Ok(url)
}
