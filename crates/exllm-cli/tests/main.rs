//! The `exllm` binary as a user runs it, as modules of one test binary (one link, not many).

mod catalog_dir;
mod chat_input;
mod cli;
mod conventions;
mod guardrails;
mod repl_tty;
mod routing;
mod services;
mod session;
mod stream_errors;
mod support;
