//! The `exllm` binary as a user runs it, as modules of one test binary (one link, not four).

mod chat_input;
mod cli;
mod services;
mod session;
