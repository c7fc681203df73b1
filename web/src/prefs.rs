//! The reader's preferences as the browser keeps them: `localStorage`
//! (which a sandboxed iframe refuses: then nothing is stored) and media
//! queries such as reduced motion. A leaf: it uses no other module.

use std::cell::Cell;

/// The page's window, if there is one (not in a worker or a test harness).
pub fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

/// A stored preference; none where storage is missing or refused.
pub fn storage_get(key: &str) -> Option<String> {
    // Inside a sandboxed iframe, touching localStorage throws: treat as empty.
    window()?.local_storage().ok()??.get_item(key).ok()?
}

/// Stores a preference, silently doing nothing where storage is refused.
pub fn storage_set(key: &str, value: &str) {
    if let Some(s) = window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.set_item(key, value);
    }
}

/// Whether a CSS media query matches now.
pub fn media(query: &str) -> bool {
    window().and_then(|w| w.match_media(query).ok().flatten()).is_some_and(|m| m.matches())
}

thread_local! {
    static REDUCED: Cell<Option<bool>> = const { Cell::new(None) };
}

/// Whether the learner asked for reduced motion (read once).
pub fn reduced_motion() -> bool {
    REDUCED.with(|c| {
        c.get().unwrap_or_else(|| {
            let v = media("(prefers-reduced-motion: reduce)");
            c.set(Some(v));
            v
        })
    })
}
