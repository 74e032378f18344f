//! The gateway's integration tests: one binary, one module per topic.
