//! The page: header, the cluster view, a node table, and play/pause.
//! This is the minimal lab of the foundation; the full lab builds on it.

use crate::clock;
use crate::cluster::ClusterView;
use crate::tutorials;
use distlab_core::Micros;
use distlab_core::scenario::{self, Source, StartOptions};
use distlab_core::sim::Sim;
use distlab_core::view::WorldView;
use leptos::prelude::*;
use std::cell::Cell;
use std::rc::Rc;

/// Simulated seconds per wall second at start: an election stays watchable.
const DEFAULT_SPEED: f64 = 0.01;
/// A frame never advances more than this much wall time (a background tab
/// resuming must not jump minutes ahead).
const MAX_FRAME_MS: f64 = 100.0;

fn start_default() -> Result<Box<dyn Sim>, String> {
    let text = tutorials::text(tutorials::DEFAULT).ok_or("the default scenario is missing from the build")?;
    let s = scenario::load(Source { name: tutorials::DEFAULT, text })
        .map_err(|ds| ds.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))?;
    s.start(None, StartOptions { store_trace: true }).map_err(|e| e.to_string())
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let (view, set_view) = signal(None::<WorldView>);
    let error = RwSignal::new(None::<String>);
    let playing = RwSignal::new(true);
    let speed = RwSignal::new(DEFAULT_SPEED);
    let sim = StoredValue::new_local(None::<Box<dyn Sim>>);

    match start_default() {
        Ok(mut s) => {
            set_view.set(Some(s.view()));
            sim.set_value(Some(s));
        }
        Err(e) => error.set(Some(e)),
    }

    let last = Rc::new(Cell::new(None::<f64>));
    clock::every_frame(Rc::new(move |now_ms: f64| {
        let previous = last.replace(Some(now_ms));
        if !playing.get_untracked() {
            return;
        }
        let dt = previous.map_or(0.0, |p| (now_ms - p).clamp(0.0, MAX_FRAME_MS));
        let advance = Micros((dt * 1000.0 * speed.get_untracked()).round() as u64);
        let mut failed = None;
        sim.update_value(|s| {
            if let Some(s) = s.as_mut() {
                let target = s.now().saturating_add(advance).min(s.end());
                if let Err(e) = s.run_until(target) {
                    failed = Some(e.to_string());
                }
                set_view.set(Some(s.view()));
            }
        });
        if let Some(e) = failed {
            error.set(Some(e));
            playing.set(false);
        }
    }));

    let time_text =
        move || view.with(|v| v.as_ref().map_or(String::new(), |v| format!("{:.3} ms", v.time_us as f64 / 1000.0)));
    let title = move || view.with(|v| v.as_ref().map_or("DistLab".to_string(), |v| v.protocol.title.to_string()));
    let legend = move || {
        view.with(|v| {
            v.as_ref().map(|v| {
                v.protocol
                    .roles
                    .iter()
                    .map(|r| {
                        view! {
                            <span class=format!("legend-item role-slot-{}", r.colour)>
                                <span class="swatch">{r.badge}</span>
                                {r.name}
                            </span>
                        }
                    })
                    .collect_view()
            })
        })
    };
    let rows = move || {
        view.with(|v| {
            v.as_ref().map(|v| {
                v.nodes
                    .iter()
                    .map(|n| {
                        let field = |name: &str| {
                            n.protocol
                                .fields
                                .iter()
                                .find(|f| f.name == name)
                                .map_or("–".to_string(), |f| f.value.display())
                        };
                        view! {
                            <tr data-testid=format!("row-{}", n.id.0)>
                                <td>{n.id.to_string()}</td>
                                <td>{n.status.name()}</td>
                                <td>{n.protocol.role}</td>
                                <td>{field("term")}</td>
                                <td>{field("commit_index")}</td>
                                <td>{field("log_length")}</td>
                            </tr>
                        }
                    })
                    .collect_view()
            })
        })
    };
    let violations = move || {
        view.with(|v| {
            v.as_ref().map(|v| {
                if v.violations.is_empty() {
                    view! { <p class="ok" data-testid="invariants-ok">{format!("All {} invariants hold.", v.protocol.invariants.len())}</p> }.into_any()
                } else {
                    v.violations
                        .iter()
                        .map(|x| view! { <p class="violation">{x.message.clone()}</p> })
                        .collect_view()
                        .into_any()
                }
            })
        })
    };

    view! {
        <header class="top">
            <h1>"DistLab"</h1>
            <span class="subtitle">{title}</span>
            <span class="legend">{legend}</span>
        </header>
        <Show when=move || error.get().is_some()>
            <div class="error" role="alert" data-testid="error">{move || error.get().unwrap_or_default()}</div>
        </Show>
        <main class="lab">
            <section class="stage">
                <ClusterView view=view />
            </section>
            <aside class="side">
                <table class="nodes">
                    <thead>
                        <tr><th>"node"</th><th>"status"</th><th>"role"</th><th>"term"</th><th>"commit"</th><th>"log"</th></tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
                <div class="invariants">{violations}</div>
            </aside>
        </main>
        <footer class="transport">
            <button
                data-testid="play"
                aria-pressed=move || playing.get().to_string()
                on:click=move |_| playing.update(|p| *p = !*p)
            >
                {move || if playing.get() { "Pause" } else { "Play" }}
            </button>
            <label>
                "speed "
                <select on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                        speed.set(v.clamp(0.001, 10.0));
                    }
                }>
                    <option value="0.001">"1/1000×"</option>
                    <option value="0.01" selected>"1/100×"</option>
                    <option value="0.1">"1/10×"</option>
                    <option value="1">"1×"</option>
                </select>
            </label>
            <span class="time" data-testid="time">{time_text}</span>
        </footer>
    }
}
