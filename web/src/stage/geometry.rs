//! Where things sit in the cluster diagram (a 600 x 600 viewBox): the
//! circle of nodes, a node's size, how the diagram fits its box, and a
//! canvas prepared in diagram units. A leaf: it uses no other module.

/// The cluster diagram's side, in diagram units (its viewBox).
pub const SIZE: f64 = 600.0;
/// The radius of the circle the nodes sit on.
pub const RING: f64 = 215.0;

/// A node's radius with `n` nodes on the circle: as large as the gaps
/// between neighbours allow, at most 44 units.
pub fn node_radius(n: usize) -> f64 {
    let spacing = std::f64::consts::TAU * RING / n.max(1) as f64;
    (0.42 * spacing).clamp(14.0, 44.0)
}

/// Where node `i` of `n` sits on the circle, clockwise from 12 o'clock.
pub fn position(i: usize, n: usize) -> (f64, f64) {
    let a = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / n.max(1) as f64;
    (SIZE / 2.0 + RING * a.cos(), SIZE / 2.0 + RING * a.sin())
}

/// The diagram's placement in a box of `w` x `h` pixels (viewBox 600 x 600,
/// centred, scaled to fit): (scale, x offset, y offset).
pub fn fit(w: f64, h: f64) -> (f64, f64, f64) {
    let s = (w / SIZE).min(h / SIZE);
    (s, (w - SIZE * s) / 2.0, (h - SIZE * s) / 2.0)
}

/// Sizes `canvas` to `size` CSS pixels at the device's pixel ratio, clears
/// it, and returns its context scaled to diagram units (see [`fit`]); none
/// while the canvas has no size.
pub fn prepare_canvas(
    canvas: &web_sys::HtmlCanvasElement,
    (w, h): (f64, f64),
) -> Option<web_sys::CanvasRenderingContext2d> {
    if w <= 0.0 || h <= 0.0 {
        return None;
    }
    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()).clamp(1.0, 3.0);
    let (pw, ph) = ((w * dpr).round() as u32, (h * dpr).round() as u32);
    if canvas.width() != pw || canvas.height() != ph {
        canvas.set_width(pw);
        canvas.set_height(ph);
    }
    let g = canvas.get_context("2d").ok()??;
    let g = wasm_bindgen::JsCast::dyn_into::<web_sys::CanvasRenderingContext2d>(g).ok()?;
    let _ = g.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
    g.clear_rect(0.0, 0.0, f64::from(pw), f64::from(ph));
    let (s, ox, oy) = fit(w, h);
    let _ = g.set_transform(s * dpr, 0.0, 0.0, s * dpr, ox * dpr, oy * dpr);
    Some(g)
}
