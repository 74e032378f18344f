//! End-to-end benchmarks of exllm: a loopback mock server ([`mock`]), the clients under test
//! ([`clients`]) and a measured runner ([`measure`]). The `exllm-bench` binary runs each client
//! in a child process of its own against a mock in another, so a client's CPU time and peak RSS
//! are its own; `bench/run.sh` drives it and writes `bench/RESULTS.md`.

pub mod clients;
pub mod gateway;
pub mod loadgen;
pub mod measure;
pub mod mock;
pub mod routed;
pub mod watched;
