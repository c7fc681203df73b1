//! The page's frame loop: calls back once per animation frame with the
//! wall-clock time in milliseconds. Wall time is used only to decide how
//! far to advance simulated time; the simulation itself never sees it.

use leptos::prelude::request_animation_frame;
use std::rc::Rc;

/// Milliseconds since page load (`performance.now()`), or 0 if unavailable.
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Calls `tick(now_ms)` on every animation frame, forever.
pub fn every_frame(tick: Rc<dyn Fn(f64)>) {
    request_animation_frame(move || {
        tick(now_ms());
        every_frame(tick);
    });
}
