//! The gateway's integration tests: one binary, one module per topic.

mod chat;
mod governance;
mod groups;
mod guardrails;
mod operations;
mod readme;
mod sdk;
mod support;
