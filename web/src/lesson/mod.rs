//! Lessons in the page: the pane that shows a lesson's steps and checks
//! (`pane`), the catalogue built into the bundle (`tutorials`), the learner's
//! saved progress (`progress`), and the Markdown renderer the build script
//! runs (`markdown`, compiled into the bundle only for its tests) with the
//! key it files each rendered text under (`key`).

pub mod key;
// The Markdown renderer runs in build.rs; in the bundle only for tests.
#[cfg(test)]
mod markdown;
pub mod pane;
pub mod progress;
pub mod tutorials;
