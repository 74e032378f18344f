//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/*`) through the same decoder
//! dispatch the cargo-fuzz targets use (`fuzz/dispatch.rs`), so a build without nightly or
//! cargo-fuzz still checks that no corpus input makes a decoder panic.

use crate::dispatch;

use dispatch::Target;
use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::sync::Once;

/// Inputs that still panic, by `<target>/<file>`, each with where it panics. They are kept in
/// the corpus so the fuzzer starts from them; `known_panics_still_panic` replays them and
/// fails once a fix lands, as a reminder to move them into the main replay. Each
/// finding listed here is a bug to fix in the library, not in this test.
const KNOWN_PANICS: &[(&str, &str)] = &[];

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus")
}

/// Every corpus file of `target`, sorted.
fn inputs(target: Target) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_root().join(target.name());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = format!(
                "{}/{}",
                target.name(),
                p.file_name().unwrap().to_string_lossy()
            );
            (name, std::fs::read(&p).expect("a readable corpus file"))
        })
        .collect()
}

fn is_known_panic(name: &str) -> bool {
    KNOWN_PANICS.iter().any(|(known, _)| *known == name)
}

#[test]
fn every_corpus_directory_names_a_target() {
    for entry in std::fs::read_dir(corpus_root()).expect("fuzz/corpus exists") {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            Target::from_name(&name).is_some(),
            "fuzz/corpus/{name} is not a target"
        );
    }
}

/// Runs one input; a panic comes back as its message and location.
fn replay(target: Target, data: &[u8]) -> Result<(), String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let at = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()));
            LAST_PANIC.with(|p| *p.borrow_mut() = at);
            let replaying = REPLAYING.with(Cell::get);
            if !replaying || std::env::var_os("FUZZ_CORPUS_VERBOSE").is_some() {
                default(info);
            }
        }));
    });
    REPLAYING.with(|r| r.set(true));
    let outcome = std::panic::catch_unwind(|| target.run(data));
    REPLAYING.with(|r| r.set(false));
    outcome.map_err(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        let at = LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_default();
        format!("{message} (at {at})")
    })
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    static REPLAYING: Cell<bool> = const { Cell::new(false) };
}

#[test]
fn the_corpus_replays_without_panics() {
    let mut replayed = 0;
    let mut panics = Vec::new();
    for target in Target::ALL {
        let inputs = inputs(target);
        assert!(
            !inputs.is_empty(),
            "no seeds for the `{}` target",
            target.name()
        );
        for (name, data) in inputs {
            if is_known_panic(&name) {
                continue;
            }
            if let Err(panic) = replay(target, &data) {
                panics.push(format!("{name}: {panic}"));
            }
            replayed += 1;
        }
    }
    assert!(replayed > 0);
    assert!(
        panics.is_empty(),
        "corpus inputs panic (set FUZZ_CORPUS_VERBOSE=1 for backtraces):\n{}",
        panics.join("\n")
    );
}

/// Seed files are named `<entry>--<what>`, where `<entry>` is the table entry their selector
/// byte picks (`anthropic`, `sse`, `gemini-models`, ...): this keeps the seeds honest when the
/// tables in `dispatch.rs` change. Inputs the fuzzer found (`crash-*`, hashes) are exempt.
#[test]
fn seed_names_match_their_selector() {
    for target in Target::ALL {
        for (name, data) in inputs(target) {
            let file = name.split_once('/').unwrap().1;
            let Some((entry, _)) = file.split_once("--") else {
                continue;
            };
            assert_eq!(
                target.selected(&data).as_deref(),
                Some(entry),
                "{name}: its selector byte picks another decoder"
            );
        }
    }
}

#[test]
fn known_panics_still_panic() {
    for (name, location) in KNOWN_PANICS {
        let (target, file) = name.split_once('/').unwrap();
        let target = Target::from_name(target).expect("a target");
        let data = std::fs::read(corpus_root().join(target.name()).join(file)).unwrap();
        assert!(
            replay(target, &data).is_err(),
            "{name} no longer panics ({location} was fixed): drop it from KNOWN_PANICS"
        );
    }
}

/// Byte strings that tend to matter to the decoders, spliced in by [`mutate`].
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"null",
    b"true",
    b"-1",
    b"1e999",
    b"18446744073709551616",
    b"\"\\ud800\"",
    b"\n",
    b"\r\n",
    b"\n\n",
    b"data: ",
    b"event: ",
    b"[DONE]",
    b"\xff",
    b"\xe2\x82",
    b"\x00\x00\x00\x10",
    b"retry-after: 1e30\n",
];

/// One random edit of `data`, keeping its selector byte (the first) most of the time so the
/// input stays aimed at the decoder its seed was written for.
fn mutate(rng: &mut fastrand::Rng, data: &mut Vec<u8>, others: &[(String, Vec<u8>)]) {
    let from = usize::from(data.len() > 1 && rng.u8(..) != 0);
    let at = |rng: &mut fastrand::Rng, len: usize| rng.usize(from.min(len)..=len);
    match rng.u8(..8) {
        0 if data.len() > from => {
            let i = rng.usize(from..data.len());
            data[i] ^= 1 << rng.u8(..8);
        }
        1 => {
            let i = at(rng, data.len());
            data.insert(i, rng.u8(..));
        }
        2 if data.len() > from => {
            let i = rng.usize(from..data.len());
            let n = rng.usize(1..=(data.len() - i).min(16));
            data.drain(i..i + n);
        }
        3 => {
            let i = at(rng, data.len());
            data.truncate(i);
        }
        4 if data.len() > from => {
            let i = rng.usize(from..data.len());
            let n = rng.usize(1..=(data.len() - i).min(64));
            let piece = data[i..i + n].to_vec();
            let j = at(rng, data.len());
            data.splice(j..j, piece);
        }
        5 if !others.is_empty() => {
            let other = &others[rng.usize(..others.len())].1;
            let i = at(rng, data.len());
            let j = rng.usize(0..=other.len());
            data.truncate(i);
            data.extend_from_slice(&other[j..]);
        }
        _ => {
            let token = TOKENS[rng.usize(..TOKENS.len())];
            let i = at(rng, data.len());
            data.splice(i..i, token.iter().copied());
        }
    }
}

/// A stable-toolchain fuzz pass that runs in CI: every seed, edited at random a few times
/// over (flips, inserts, cuts, repeats, splices with other seeds, tokens such as `1e999`),
/// must decode or fail without a panic. Deterministic for a given `FUZZ_SEED` (default 1);
/// `FUZZ_MUTATIONS` sets the edits per seed (default 400). Without coverage feedback it finds
/// less than `scripts/fuzz` (libFuzzer, nightly), but it is what a CI machine without
/// nightly can run; a failing input is written under `target/fuzz-mutations/` to replay.
#[test]
fn mutated_seeds_never_panic() {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let seed = env("FUZZ_SEED", 1);
    let rounds = env("FUZZ_MUTATIONS", 400);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut runs = 0u64;
    let mut panics = Vec::new();
    for target in Target::ALL {
        let seeds: Vec<_> = inputs(target)
            .into_iter()
            .filter(|(name, _)| !is_known_panic(name))
            .collect();
        for (name, data) in &seeds {
            let mut input = data.clone();
            for round in 0..rounds {
                // Mostly stack edits; now and then start again from the seed.
                if round % 8 == 0 {
                    input.clone_from(data);
                }
                mutate(&mut rng, &mut input, &seeds);
                runs += 1;
                if let Err(panic) = replay(target, &input) {
                    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("../../target/fuzz-mutations")
                        .join(target.name());
                    let file = dir.join(format!("{}-{seed}-{round}", name.replace('/', "_")));
                    let _ = std::fs::create_dir_all(&dir);
                    let _ = std::fs::write(&file, &input);
                    panics.push(format!(
                        "{name} round {round}: {panic} -> {}",
                        file.display()
                    ));
                    break;
                }
            }
        }
    }
    assert!(runs > 1000, "only {runs} inputs ran");
    assert!(
        panics.is_empty(),
        "mutated inputs panic (FUZZ_SEED={seed}); copy the saved input into fuzz/corpus/<target>/ \
         to keep it:\n{}",
        panics.join("\n")
    );
}
