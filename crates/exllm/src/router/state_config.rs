//! Where a router from a config file keeps its state: in memory (the default), or in Redis so
//! that every process reading the same config shares one set of limits, budgets and
//! cooldowns. Our TOML's `[state]` table, or LiteLLM's `router_settings.redis_host`,
//! `redis_port`, `redis_password` (each value may be `os.environ/VAR`).
//!
//! ```toml
//! [state]
//! redis_url = "os.environ/REDIS_URL"   # or "redis://:secret@127.0.0.1:6379/0"
//! prefix = "exllm:router:"
//! timeout = "250ms"                    # the longest a round trip may take
//! on_unavailable = "open"              # or "closed": refuse calls when Redis is out of reach
//! refresh = "1s"
//! share = "all"                        # or "cooldowns": only cooldowns, off the request's path
//! ```
//!
//! `share = "all"` ([`super::RedisState`]) holds one set of limits, budgets and cooldowns for
//! every process at one round trip per call. `share = "cooldowns"` ([`super::SharedCooldowns`])
//! keeps limits and budgets per process and shares the cooldowns in the background, so calls
//! never wait for Redis (what `exllm serve` does when its governance already uses Redis).

use std::time::Duration;

/// The state settings of a config file. Its `Debug` hides the password.
#[derive(Clone, Default, PartialEq)]
pub struct StateSettings {
    /// The Redis server (`redis://…`, or `os.environ/VAR`); `None`: see `redis_host`.
    pub redis_url: Option<String>,
    /// LiteLLM's `redis_host` (the URL is built from host, port and password).
    pub redis_host: Option<String>,
    /// LiteLLM's `redis_port` (default 6379).
    pub redis_port: Option<String>,
    /// LiteLLM's `redis_password`.
    pub redis_password: Option<String>,
    /// Prefix of every key (routers sharing it share their state).
    pub prefix: Option<String>,
    /// The longest one Redis round trip may take.
    pub timeout: Option<Duration>,
    /// Refuse calls (instead of admitting them unchecked) when Redis is out of reach.
    pub fail_closed: bool,
    /// How often the strategies' view is refreshed from Redis.
    pub refresh: Option<Duration>,
    /// Share only the cooldowns, off the request's path (`share = "cooldowns"`), instead of
    /// the whole state.
    pub cooldowns_only: bool,
}

impl std::fmt::Debug for StateSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hide = |v: &Option<String>| v.as_ref().map(|_| "***");
        f.debug_struct("StateSettings")
            .field("redis_url", &hide(&self.redis_url))
            .field("redis_host", &self.redis_host)
            .field("redis_port", &self.redis_port)
            .field("redis_password", &hide(&self.redis_password))
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("fail_closed", &self.fail_closed)
            .field("refresh", &self.refresh)
            .field("cooldowns_only", &self.cooldowns_only)
            .finish()
    }
}

impl StateSettings {
    /// Whether the state goes to Redis.
    pub fn is_redis(&self) -> bool {
        self.redis_url.is_some() || self.redis_host.is_some()
    }

    /// The Redis URL, its `os.environ/VAR` parts read through `env`; `None` for memory.
    pub fn redis_url_with(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> crate::Result<Option<String>> {
        let read = |v: &Option<String>, what: &str| -> crate::Result<Option<String>> {
            match v.as_deref().map(|t| (t, t.strip_prefix("os.environ/"))) {
                None => Ok(None),
                Some((_, Some(var))) => env(var).map(Some).ok_or_else(|| {
                    crate::Error::new(
                        crate::ErrorKind::Config,
                        format!("router state: the variable `{var}` of `{what}` is not set"),
                    )
                }),
                Some((t, None)) => Ok(Some(t.to_owned())),
            }
        };
        if let Some(url) = read(&self.redis_url, "redis_url")? {
            return Ok(Some(url));
        }
        let Some(host) = read(&self.redis_host, "redis_host")? else {
            return Ok(None);
        };
        let port = read(&self.redis_port, "redis_port")?.unwrap_or_else(|| "6379".into());
        let auth = match read(&self.redis_password, "redis_password")? {
            Some(p) if !p.is_empty() => format!(":{}@", encode_userinfo(&p)),
            _ => String::new(),
        };
        Ok(Some(format!("redis://{auth}{host}:{port}/")))
    }
}

/// A password as it may stand in a URL's user info (reserved characters percent-encoded).
fn encode_userinfo(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The state a config's settings ask for: `None` for memory.
pub(crate) fn build(
    s: &StateSettings,
    latency_window: usize,
    policy: &super::CooldownPolicy,
    env: &dyn Fn(&str) -> Option<String>,
) -> crate::Result<Option<std::sync::Arc<dyn super::RouterState>>> {
    let Some(url) = s.redis_url_with(env)? else {
        return Ok(None);
    };
    redis(s, url, latency_window, policy)
}

#[cfg(feature = "redis")]
fn redis(
    s: &StateSettings,
    url: String,
    latency_window: usize,
    policy: &super::CooldownPolicy,
) -> crate::Result<Option<std::sync::Arc<dyn super::RouterState>>> {
    use super::{FailMode, RedisState, RedisStateConfig, SharedCooldowns, SharedCooldownsConfig};
    if s.cooldowns_only {
        let d = SharedCooldownsConfig::default();
        let cfg = SharedCooldownsConfig {
            url,
            prefix: s.prefix.clone().unwrap_or(d.prefix),
            timeout: s.timeout.unwrap_or(d.timeout),
            refresh: s.refresh.unwrap_or(d.refresh),
            latency_window,
        };
        return Ok(Some(std::sync::Arc::new(SharedCooldowns::new(
            cfg,
            policy.clone(),
        )?)));
    }
    let d = RedisStateConfig::default();
    let cfg = RedisStateConfig {
        url,
        prefix: s.prefix.clone().unwrap_or(d.prefix),
        timeout: s.timeout.unwrap_or(d.timeout),
        on_unavailable: if s.fail_closed {
            FailMode::Closed
        } else {
            FailMode::Open
        },
        latency_window,
        refresh: s.refresh.unwrap_or(d.refresh),
    };
    Ok(Some(std::sync::Arc::new(RedisState::new(cfg)?)))
}

#[cfg(not(feature = "redis"))]
fn redis(
    _: &StateSettings,
    _: String,
    _: usize,
    _: &super::CooldownPolicy,
) -> crate::Result<Option<std::sync::Arc<dyn super::RouterState>>> {
    Err(crate::Error::new(
        crate::ErrorKind::Config,
        "the router config keeps its state in Redis, but exllm was built without the `redis` feature",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn litellm_host_port_and_password_make_a_url() {
        let s = StateSettings {
            redis_host: Some("os.environ/REDIS_HOST".into()),
            redis_port: Some("6380".into()),
            redis_password: Some("p@ss:w/rd".into()),
            ..Default::default()
        };
        let env = |k: &str| (k == "REDIS_HOST").then(|| "10.0.0.5".to_owned());
        assert_eq!(
            s.redis_url_with(&env).unwrap().as_deref(),
            Some("redis://:p%40ss%3Aw%2Frd@10.0.0.5:6380/")
        );
        assert!(!format!("{s:?}").contains("p@ss"));
        let missing = StateSettings {
            redis_url: Some("os.environ/NOPE".into()),
            ..Default::default()
        };
        let e = missing.redis_url_with(&|_| None).unwrap_err();
        assert!(e.message().contains("NOPE"), "{e}");
        assert_eq!(
            StateSettings::default().redis_url_with(&|_| None).unwrap(),
            None
        );
    }
}
