//! Share links: the URL fragment carries which file, its fingerprint, the
//! seed, the cursor time, the lesson step and the command log, as JSON,
//! deflated and base64url-encoded behind a version tag (`#v1.`). Opening
//! one replays the run bit-for-bit (same file + seed + commands = same
//! trace). Every way a link can be broken gets its own sentence.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use distlab_core::Micros;
use distlab_core::command::CommandRecord;
use distlab_core::trace::Fingerprint;
use serde::{Deserialize, Serialize};

/// The version tag this build writes and reads.
pub const PREFIX: &str = "v1.";
/// Longest fragment this build writes (characters after `#`).
pub const MAX_LINK: usize = 2048;
/// Longest fragment it tries to read (a little slack for older builds).
const MAX_READ: usize = 4096;
/// Largest JSON a link may inflate to.
const MAX_JSON: usize = 256 * 1024;

/// What a share link holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shared {
    /// File under `tutorials/`.
    pub f: String,
    /// Fingerprint of the file's text (hex), so a changed file is noticed.
    pub h: String,
    /// Seed.
    pub s: u64,
    /// Cursor time in microseconds.
    pub t: u64,
    /// Events at the cursor (time alone can be ambiguous; 0: by time).
    #[serde(default)]
    pub e: u64,
    /// Lesson step (from 0).
    #[serde(default)]
    pub l: usize,
    /// Where each lesson step began, as (time, events).
    #[serde(default)]
    pub m: Vec<Option<(u64, u64)>>,
    /// The command log up to the cursor.
    pub c: Vec<CommandRecord>,
}

impl Shared {
    /// The cursor time.
    pub fn at(&self) -> Micros {
        Micros(self.t)
    }
}

/// Fingerprint of a file's text, as written into links.
pub fn file_hash(text: &str) -> String {
    let mut f = Fingerprint::default();
    f.text(text);
    format!("{:016x}", f.finish())
}

/// Why a link could not be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooLong {
    /// Its length.
    pub len: usize,
}

/// The fragment (without `#`) for `shared`.
pub fn encode(shared: &Shared) -> Result<String, TooLong> {
    let json = serde_json::to_vec(shared).unwrap_or_default();
    let packed = miniz_oxide::deflate::compress_to_vec(&json, 9);
    let out = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(packed));
    if out.len() > MAX_LINK { Err(TooLong { len: out.len() }) } else { Ok(out) }
}

/// Why a link cannot be opened (shown in the learner's language).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// Longer than this build reads.
    TooLong(usize),
    /// Made by another format version.
    OtherVersion(String),
    /// Not a DistLab link at all.
    NotALink,
    /// Cut off or altered: base64 or deflate do not decode.
    Damaged,
    /// Decodes, but the contents do not fit (the detail is technical).
    NotUnderstood(String),
    /// Names a file this build does not have.
    UnknownFile(String),
    /// The file changed since the link was made.
    FileChanged(String),
    /// The replay stopped (the detail comes from the simulator).
    ReplayFailed(String),
}

impl LinkError {
    /// The reason, as a sentence in the UI language.
    pub fn say(&self, t: &crate::strings::Strings) -> String {
        use crate::strings::fill;
        match self {
            LinkError::TooLong(n) => fill(t.link_too_long_read, &[n, &MAX_READ]),
            LinkError::OtherVersion(v) => fill(t.link_other_version, &[v, &&PREFIX[..2]]),
            LinkError::NotALink => t.link_not_ours.to_string(),
            LinkError::Damaged => t.link_damaged.to_string(),
            LinkError::NotUnderstood(d) => fill(t.link_not_understood, &[d]),
            LinkError::UnknownFile(f) => fill(t.link_unknown_file, &[f]),
            LinkError::FileChanged(f) => fill(t.link_file_changed, &[f]),
            LinkError::ReplayFailed(d) => fill(t.link_replay_failed, &[d]),
        }
    }
}

/// Reads a fragment (with or without `#`). `None` means there is no link
/// at all; `Some(Err)` a link that is broken, with the reason.
pub fn decode(fragment: &str) -> Option<Result<Shared, LinkError>> {
    let frag = fragment.strip_prefix('#').unwrap_or(fragment).trim();
    if frag.is_empty() {
        return None;
    }
    Some(decode_inner(frag))
}

fn decode_inner(frag: &str) -> Result<Shared, LinkError> {
    if frag.len() > MAX_READ {
        return Err(LinkError::TooLong(frag.len()));
    }
    let Some(body) = frag.strip_prefix(PREFIX) else {
        let version = frag.split('.').next().unwrap_or("");
        return Err(if version.starts_with('v') && frag.contains('.') {
            LinkError::OtherVersion(version.chars().take(12).collect())
        } else {
            LinkError::NotALink
        });
    };
    let packed = URL_SAFE_NO_PAD.decode(body).map_err(|_| LinkError::Damaged)?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_JSON).map_err(|_| LinkError::Damaged)?;
    serde_json::from_slice::<Shared>(&json).map_err(|e| LinkError::NotUnderstood(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use distlab_core::command::Command;
    use distlab_core::ids::NodeId;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn sample(n: usize) -> Shared {
        Shared {
            f: "raft/playground.toml".into(),
            h: file_hash("x"),
            s: 7,
            t: 123_456,
            e: 99,
            l: 1,
            m: vec![Some((5, 2)), Some((100, 40))],
            c: (0..n)
                .map(|i| CommandRecord {
                    after_events: i as u64 * 10,
                    after_pops: i as u64 * 12,
                    at: Micros(i as u64 * 1000),
                    command: Command::Crash { node: NodeId(1).into() },
                    target_role: Some("leader".into()),
                })
                .collect(),
        }
    }

    #[wasm_bindgen_test]
    fn round_trip() {
        let s = sample(5);
        let link = encode(&s).unwrap();
        assert!(link.starts_with("v1."));
        assert_eq!(decode(&format!("#{link}")).unwrap().unwrap(), s);
    }

    #[wasm_bindgen_test]
    fn broken_links_say_why() {
        assert!(decode("").is_none());
        let e = |f: &str| decode(f).unwrap().unwrap_err();
        assert_eq!(e("#v9.abc"), LinkError::OtherVersion("v9".into()));
        assert_eq!(e("#hello"), LinkError::NotALink);
        assert_eq!(e("#v1.@@@"), LinkError::Damaged);
        assert_eq!(e("#v1.AAAA"), LinkError::Damaged);
        let link = encode(&sample(3)).unwrap();
        assert_eq!(e(&link[..link.len() / 2]), LinkError::Damaged);
        assert_eq!(e(&format!("v1.{}", "A".repeat(5000))), LinkError::TooLong(5003));
        // Every reason reads as a sentence in both languages.
        for err in [e("#v9.abc"), e("#hello"), e("#v1.AAAA"), LinkError::UnknownFile("x.toml".into())] {
            for t in [&crate::strings::EN, &crate::strings::ZH_CN] {
                let s = err.say(t);
                assert!(!s.is_empty() && !s.contains("{}"), "{s}");
            }
        }
    }

    #[wasm_bindgen_test]
    fn a_long_run_is_refused_not_truncated() {
        // Varied commands compress less; enough of them exceed the limit.
        let mut s = sample(0);
        s.c = (0..2000)
            .map(|i| CommandRecord {
                after_events: i * 7919 % 100_003,
                after_pops: i * 104_729 % 1_000_003,
                at: Micros(i * 15_485_863 % 99_999_989),
                command: Command::Crash { node: NodeId((i % 9 + 1) as u32).into() },
                target_role: None,
            })
            .collect();
        assert!(encode(&s).is_err());
    }
}
