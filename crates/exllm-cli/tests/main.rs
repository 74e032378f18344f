//! The `exllm` binary as a user runs it, as modules of one test binary (one link, not three).

mod chat_input;
mod cli;
mod session;
