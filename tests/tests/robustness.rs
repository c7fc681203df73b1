//! Corrupted files never panic the loader or the simulator: thousands of
//! deterministic mutations of every shipped file either load and run, or are
//! refused with a located message.

#![cfg(not(target_arch = "wasm32"))]

use distlab_core::Micros;
use distlab_core::rng::{Domain, Rng};
use distlab_core::scenario::{self, Source, StartOptions};
use distlab_tests::embedded;

const REPLACEMENTS: &[&str] = &[
    "-1",
    "0",
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "18446744073709551616",
    "\"\"",
    "[]",
    "{}",
    "true",
    "\"leader\"",
    "9999999999",
    "0.5",
    "\"日本\"",
    "[[1, 2], [2, 3]]",
    "=",
    "[",
    "\"\\u0000\"",
];

fn mutate(text: &str, rng: &mut Rng) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = rng.index(chars.len());
    match rng.index(5) {
        // Cut the file short.
        0 => chars[..at].iter().collect(),
        // Replace one character.
        1 => {
            let mut c = chars.clone();
            c[at] = ['=', '"', '[', ']', '{', '}', '\n', '#', 'x', '9', '-'][rng.index(11)];
            c.into_iter().collect()
        }
        // Replace a number or word after an `=` with something absurd.
        2 => {
            let s: String = chars.iter().collect();
            let lines: Vec<&str> = s.lines().collect();
            let k = rng.index(lines.len());
            let mut out = Vec::new();
            for (i, l) in lines.iter().enumerate() {
                if i == k
                    && let Some(eq) = l.find('=')
                {
                    out.push(format!("{}= {}", &l[..eq], REPLACEMENTS[rng.index(REPLACEMENTS.len())]));
                    continue;
                }
                out.push(l.to_string());
            }
            out.join("\n")
        }
        // Duplicate a line (duplicate keys).
        3 => {
            let s: String = chars.iter().collect();
            let lines: Vec<&str> = s.lines().collect();
            let k = rng.index(lines.len());
            let mut out: Vec<&str> = lines.clone();
            out.insert(k, lines[k]);
            out.join("\n")
        }
        // Delete a line.
        _ => {
            let s: String = chars.iter().collect();
            let mut lines: Vec<&str> = s.lines().collect();
            let k = rng.index(lines.len());
            lines.remove(k);
            lines.join("\n")
        }
    }
}

#[test]
fn mutated_files_load_or_fail_with_a_location_and_never_panic() {
    let mut rng = Rng::stream(2024, Domain::Faults, 9);
    let (mut loaded, mut refused) = (0, 0);
    for (name, text) in embedded::TUTORIALS.iter().chain(embedded::SCENARIOS) {
        for _ in 0..400 {
            let bad = mutate(text, &mut rng);
            match scenario::load(Source { name, text: &bad }) {
                Ok(s) => {
                    loaded += 1;
                    let mut sim = match s.start(None, StartOptions { store_trace: true }) {
                        Ok(sim) => sim,
                        Err(_) => continue,
                    };
                    // Whatever was accepted must run; errors are fine, panics are not.
                    let _ = sim.run_until(Micros::from_ms(300).min(s.duration));
                    if s.lesson.is_some() {
                        let _ = distlab_core::lesson::replay(&s, sim.as_mut());
                    }
                }
                Err(ds) => {
                    refused += 1;
                    assert!(!ds.is_empty());
                    for d in ds {
                        assert!(d.line >= 1 && d.col >= 1, "{name}: unplaced error: {d}\n--- file ---\n{bad}");
                        assert!(!d.message.is_empty());
                    }
                }
            }
        }
    }
    assert!(loaded > 100 && refused > 100, "mutations should both pass and fail: {loaded} loaded, {refused} refused");
}
