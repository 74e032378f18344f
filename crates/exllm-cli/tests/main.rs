//! The `exllm` binary as a user runs it, as modules of one test binary (one link, not many).

mod batch_cli;
mod batch_list_cli;
mod cassette_env;
mod catalog_dir;
mod chat_flags;
mod chat_input;
mod chat_media;
mod cli;
mod compare;
mod conventions;
mod demo;
#[cfg(feature = "postgres")]
mod gateway_shared;
mod guardrails;
mod moderate_cli;
mod providers_list;
mod repl_tty;
mod routing;
mod routing_redis;
mod routing_session;
mod serve;
#[cfg(feature = "ner")]
mod serve_guard;
mod services;
mod session;
mod stream_errors;
mod support;
mod tokens_cli;
mod usage;
