//! Every integration test of the `exllm` crate, as modules of one test binary: one binary per
//! file linked the whole dependency tree ~35 times (half a gigabyte of disk and a link each).
//! `telemetry_spans` stays its own binary: it installs a global tracing subscriber.

mod support;

#[cfg(feature = "bedrock")]
#[path = "bedrock/wire.rs"]
mod bedrock_wire;
#[path = "../../../fuzz/dispatch.rs"]
mod dispatch;
#[path = "support/faults.rs"]
mod fault_kit;
#[path = "support/matrix/mod.rs"]
mod matrix;
#[path = "ollama/wire.rs"]
mod ollama_wire;

mod anthropic;
mod audio;
mod azure;
mod batch_api;
mod batch_gemini;
mod batch_local;
mod batch_paging;
mod bedrock;
mod breaker;
mod cache;
mod cache_redis;
mod cache_scope;
mod cassette;
mod chat_audio;
mod cohere;
mod compat;
mod compat_rows;
mod context_caching;
mod debug_secrets;
mod errors;
mod examples;
mod faults;
mod files_api;
mod fuzz_corpus;
mod gemini;
mod guardrails;
mod hosted;
mod images;
mod limits;
mod mock;
mod models;
mod moderation;
mod ollama;
mod ollama_api;
mod openai_chat;
mod openai_responses;
mod otlp;
mod recovery;
mod redaction;
mod replicate;
mod rerank_api;
mod roundtrip;
mod router;
mod router_guardrails;
mod router_health;
mod router_learned;
mod router_limits;
mod router_picks;
mod router_redis;
mod router_redis_config;
mod router_redis_cooldowns;
mod router_redis_learned;
mod router_streams;
mod session;
mod streaming;
mod structured;
mod structured_matrix;
mod telemetry;
mod tool_loop;
mod tools_matrix;
mod unknown_events;
mod vertex;
mod vertex_jobs;
mod vision;
