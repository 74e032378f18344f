//! cargo-fuzz target `error`: see `fuzz/dispatch.rs` for the input layout.
#![no_main]

#[path = "../dispatch.rs"]
mod dispatch;

libfuzzer_sys::fuzz_target!(|data: &[u8]| dispatch::Target::Error.run(data));
