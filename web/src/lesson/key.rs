//! The key build.rs files a lesson text's HTML under (shared with it
//! through `#[path]`, so the two cannot disagree).

/// The key a rendered lesson text is found by: its length and a 64-bit
/// FNV-1a hash of its bytes. The bundle keys HTML by this instead of
/// carrying every Markdown source a second time; build.rs refuses a build
/// in which two texts share a key.
pub fn key(markdown: &str) -> (u32, u64) {
    let hash =
        markdown.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    (markdown.len() as u32, hash)
}
