//! The gateway's integration tests: one binary, one module per topic.

mod chat;
mod files;
mod governance;
mod groups;
mod guardrails;
mod media;
mod operations;
mod pass;
mod readme;
mod sdk;
mod support;
