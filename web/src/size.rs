//! Element sizes without forced layout. Reading `clientWidth` or
//! `getBoundingClientRect` inside a frame, after the DOM has changed, makes
//! the browser lay the page out twice; a `ResizeObserver` reports sizes
//! once layout is done, and only when they change.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// An observer and its callback; disconnects when dropped.
struct Watch {
    observer: web_sys::ResizeObserver,
    _callback: Closure<dyn FnMut(js_sys::Array)>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

/// The content-box size (CSS pixels) of the element behind `node`, kept up
/// to date: (0, 0) until it is mounted and measured. Watching stops with the
/// calling component.
pub fn watch_size<E>(node: NodeRef<E>) -> ReadSignal<(f64, f64)>
where
    E: leptos::tachys::html::element::ElementType,
    E::Output: JsCast + Clone + 'static,
{
    let (size, set_size) = signal((0.0, 0.0));
    let watch = StoredValue::new_local(None::<Watch>);
    Effect::new(move |_| {
        let Some(el) = node.get() else { return };
        let Ok(el) = el.dyn_into::<web_sys::Element>() else { return };
        let callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            if let Some(entry) = entries.iter().last().and_then(|e| e.dyn_into::<web_sys::ResizeObserverEntry>().ok()) {
                let r = entry.content_rect();
                set_size.set((r.width(), r.height()));
            }
        });
        let Ok(observer) = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()) else { return };
        observer.observe(&el);
        watch.set_value(Some(Watch { observer, _callback: callback }));
    });
    size
}
