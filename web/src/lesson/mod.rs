//! Lessons in the page: the pane that shows a lesson's steps and checks
//! (`pane`), the scenario and lesson files fetched from `lessons/`
//! (`files`), and the learner's saved progress (`progress`).

pub mod files;
pub mod pane;
pub mod progress;
