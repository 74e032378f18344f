//! Calls of a request the caller keeps, sent as another model (`provider/model`; the request's
//! own `model` is not read): the router tries one request on several deployments, and lends
//! it to each instead of copying it. With a cache or callbacks (which key on or see the
//! request as sent) the request is copied and sent by the plain call.

use super::{model_check, priced, split_model, Backend, Client};
use crate::catalog::ModelEntry;
use crate::error::Result;
use crate::telemetry::Watch;
use crate::types::{ChatRequest, ChatResponse};
use crate::ChatStream;
use std::sync::Arc;
use tracing::Instrument;

impl Client {
    /// Whether a lent request must be copied and sent by the plain call.
    fn copies_requests(&self) -> bool {
        let b = &self.inner.builder;
        b.cache.is_some() || !b.callbacks.is_empty()
    }

    /// For a lent request sent as `model`: its catalog entry (checked against the request),
    /// the call's telemetry, the provider and the model's name there.
    #[allow(clippy::type_complexity)]
    fn lent<'a>(
        &'a self,
        operation: &'static str,
        req: &ChatRequest,
        model: &'a str,
    ) -> Result<(Option<&'a ModelEntry>, Watch, Arc<dyn Backend>, &'a str)> {
        let entry = self.model_entry(model);
        if let Some(m) = entry {
            model_check::check(m, req)?;
        }
        let watch = self.watch(operation, model, req)?;
        let (name, bare) = split_model(model)?;
        Ok((entry, watch, self.provider(name)?, bare))
    }

    /// [`Client::chat`] of a lent request.
    pub(crate) async fn chat_as(&self, req: &ChatRequest, model: &str) -> Result<ChatResponse> {
        if self.copies_requests() {
            return self.chat(req.for_model(model).into_owned()).await;
        }
        let (entry, watch, provider, bare) = self.lent("chat", req, model)?;
        let out = provider
            .chat_as(req, bare)
            .instrument(watch.span().clone())
            .await;
        let out = priced(out, entry, crate::catalog::CostOptions::for_request(req));
        watch.outcome(&out).await;
        out
    }

    /// [`Client::chat_stream`] of a lent request; stream recovery keeps the one copy it needs.
    pub(crate) async fn chat_stream_as(
        &self,
        req: &ChatRequest,
        model: &str,
    ) -> Result<ChatStream> {
        if self.copies_requests() {
            return self.chat_stream(req.for_model(model).into_owned()).await;
        }
        let (entry, watch, provider, bare) = self.lent("chat_stream", req, model)?;
        let one_hour = entry.is_some() && crate::catalog::asks_1h_cache(req);
        let kept = self
            .inner
            .builder
            .recovery
            .is_some()
            .then(|| req.for_model(model).into_owned());
        let opening = provider.chat_stream_as(req, bare);
        let cache = crate::cache::Pending::none();
        self.deliver(opening, entry, one_hour, cache, kept, watch)
            .await
    }
}
