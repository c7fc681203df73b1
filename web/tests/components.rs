//! Component tests in headless Chrome (`wasm-pack test --headless --chrome web`).

#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn host() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let host = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&host).unwrap();
    host.unchecked_into()
}

/// The files the tests open, put into the page's store as if fetched (the
/// test runner serves no `lessons/` directory).
const FILES: &[(&str, &str)] = &[
    ("raft/playground.toml", include_str!("../../tutorials/raft/playground.toml")),
    ("raft/01-leader-election.toml", include_str!("../../tutorials/raft/01-leader-election.toml")),
    ("hashing/playground.toml", include_str!("../../tutorials/hashing/playground.toml")),
];

/// Mounts the lab into `host`; dropping what it returns unmounts it.
fn mount(host: &web_sys::HtmlElement) -> impl Sized {
    distlab_web::lesson::files::preload(FILES);
    leptos::mount::mount_to(host.clone(), distlab_web::app::App)
}

#[wasm_bindgen_test]
fn the_lab_mounts_and_draws_every_node_with_a_role() {
    let host = host();
    let handle = mount(&host);
    let nodes = host.query_selector_all("[data-testid='cluster'] [data-testid^='node-']").unwrap();
    assert_eq!(nodes.length(), 5);
    let first = host.query_selector("[data-testid='node-1']").unwrap().unwrap();
    assert_eq!(first.get_attribute("data-role").as_deref(), Some("follower"));
    // The test runner's own URL fragment is not a share link: the lab says
    // so and opens fresh, which is the behaviour under test here too.
    let error = text(&host, "[data-testid='error']");
    assert!(error.is_empty() || error.contains("could not be opened"), "unexpected error: {error}");
    assert!(host.query_selector("[data-testid='invariants-ok']").unwrap().is_some());
    drop(handle);
}

#[wasm_bindgen_test]
fn the_catalogue_lists_preloaded_files_lessons_first() {
    distlab_web::lesson::files::preload(FILES);
    let c = distlab_web::state::catalog();
    assert_eq!(c.len(), FILES.len());
    assert!(c[0].lesson && c[0].path == "raft/01-leader-election.toml", "{:?}", c[0]);
    assert_eq!(c[0].steps, c[0].steps.max(1), "a lesson has steps");
}

/// Lets Leptos run its effects (they are scheduled, not synchronous).
async fn settle() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

fn click(host: &web_sys::HtmlElement, selector: &str) {
    let el = host.query_selector(selector).unwrap().unwrap_or_else(|| panic!("no element {selector}"));
    let ev = web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &{
        let init = web_sys::MouseEventInit::new();
        init.set_bubbles(true);
        init
    })
    .unwrap();
    el.dispatch_event(&ev).unwrap();
}

fn text(host: &web_sys::HtmlElement, selector: &str) -> String {
    host.query_selector(selector).unwrap().and_then(|e| e.text_content()).unwrap_or_default()
}

#[wasm_bindgen_test]
async fn clicking_a_node_inspects_it_and_crash_crashes_it() {
    let host = host();
    let handle = mount(&host);
    assert!(host.query_selector("[data-testid='inspect-node']").unwrap().is_none());
    click(&host, "[data-testid='node-2']");
    settle().await;
    assert!(text(&host, "[data-testid='inspect-node']").contains("S2"), "the inspector shows the clicked node");
    click(&host, "[data-testid='crash']");
    settle().await;
    let node = host.query_selector("[data-testid='node-2']").unwrap().unwrap();
    assert_eq!(node.get_attribute("data-status").as_deref(), Some("crashed"));
    // The inspector now offers Restart instead of Crash.
    assert!(host.query_selector("[data-testid='restart']").unwrap().is_some());
    host.remove();
    drop(handle);
}

#[wasm_bindgen_test]
async fn step_processes_exactly_one_event() {
    let host = host();
    let handle = mount(&host);
    let events = |h: &web_sys::HtmlElement| {
        text(h, ".transport .events").split_whitespace().next().and_then(|n| n.parse::<u64>().ok()).unwrap()
    };
    let before = events(&host);
    click(&host, "[data-testid='step']");
    settle().await;
    assert_eq!(events(&host), before + 1);
    host.remove();
    drop(handle);
}

#[wasm_bindgen_test]
fn templates_put_every_value_in_its_hole() {
    // The hole counts are checked when the crate compiles (Tpl<N>); this
    // checks that fill puts the values in order and leaves no hole behind.
    use distlab_web::strings::{EN, ZH_CN, fill};
    for t in [&EN, &ZH_CN] {
        let s = fill(t.lock_resource, &[&"S1", &7, &"checked", &3, &1]);
        assert!(!s.contains("{}"), "{s}");
        let (i7, i3, i1) = (s.find('7').unwrap(), s.find('3').unwrap(), s.rfind('1').unwrap());
        assert!(s.starts_with("S1") && i7 < i3 && i3 < i1, "{s}");
    }
    assert_eq!(fill(EN.step_of, &[&2, &5]), "Step 2 of 5");
}
