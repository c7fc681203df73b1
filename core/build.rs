//! `DISTLAB_WITHOUT=raft,hash_ring` leaves those protocols out of a build
//! (their registry entry and module: `#[cfg(not(without = "raft"))]`).
//! Only `distlab bench --marginal` sets it, to measure what each protocol
//! adds to the page; without it every protocol is built.

fn main() {
    println!("cargo:rerun-if-env-changed=DISTLAB_WITHOUT");
    println!("cargo:rustc-check-cfg=cfg(without, values(any()))");
    for name in std::env::var("DISTLAB_WITHOUT").unwrap_or_default().split(',').map(str::trim) {
        if !name.is_empty() {
            println!("cargo:rustc-cfg=without=\"{name}\"");
        }
    }
}
