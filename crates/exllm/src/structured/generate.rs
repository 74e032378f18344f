//! `Client::generate`: a structured answer in one call, with bad answers sent back to the
//! model until one parses and matches the schema or the retries run out.

use super::plan::{exhausted, parse_as, Plan};
use super::{schema_of, GenerateOptions, OutputStrategy};
use crate::catalog::Cost;
use crate::client::{split_model, tally, Client};
use crate::error::Result;
use crate::types::{ChatRequest, ChatResponse, Usage};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A structured answer and how it was obtained.
#[derive(Debug, Clone)]
pub struct Generated<T> {
    /// The answer.
    pub value: T,
    /// The JSON it was read from.
    pub json: Value,
    /// The last model response (the one the answer came from).
    pub response: ChatResponse,
    /// Model calls made (1 when the first answer was valid).
    pub attempts: u32,
    /// Usage summed over every attempt.
    pub usage: Usage,
    /// Cost summed over every attempt (`None` when the catalog does not price the model).
    pub cost: Option<Cost>,
    /// The strategy used.
    pub strategy: OutputStrategy,
}

impl Client {
    /// Asks for an answer of type `T` (its JSON Schema from `schemars`) with the default
    /// options: the strategy chosen for the provider, two retries.
    ///
    /// ```no_run
    /// # async fn run() -> exllm::Result<()> {
    /// use exllm::{ChatRequest, Client, Message};
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct City { name: String, country: String }
    /// let client = Client::from_env()?;
    /// let req = ChatRequest::new("openai/gpt-4o-mini", vec![Message::user("The capital of France?")]);
    /// let city: City = client.generate::<City>(req).await?.value;
    /// # Ok(()) }
    /// ```
    pub async fn generate<T: JsonSchema + DeserializeOwned>(
        &self,
        req: ChatRequest,
    ) -> Result<Generated<T>> {
        self.generate_with(req, GenerateOptions::default()).await
    }

    /// [`Client::generate`] with options.
    pub async fn generate_with<T: JsonSchema + DeserializeOwned>(
        &self,
        req: ChatRequest,
        opts: GenerateOptions,
    ) -> Result<Generated<T>> {
        let plan = self.plan(&req.model, schema_of::<T>(), &opts)?;
        self.generate_planned(req, plan, opts.max_retries, parse_as::<T>)
            .await
    }

    /// An answer matching a JSON Schema given as JSON (the CLI's `--schema`).
    pub async fn generate_json(
        &self,
        req: ChatRequest,
        schema: Value,
        opts: GenerateOptions,
    ) -> Result<Generated<Value>> {
        let plan = self.plan(&req.model, schema, &opts)?;
        self.generate_planned(req, plan, opts.max_retries, |v| Ok(v.clone()))
            .await
    }

    /// Prepares a structured call: the strategy from the options, else from the provider's
    /// API and the catalog.
    pub(crate) fn plan(&self, model: &str, schema: Value, opts: &GenerateOptions) -> Result<Plan> {
        let (provider, _) = split_model(model)?;
        let api = self.provider(provider)?.api();
        let strategy = opts
            .strategy
            .unwrap_or_else(|| OutputStrategy::choose(api, self.model_entry(model)));
        Plan::new(schema, strategy, api, opts)
    }

    async fn generate_planned<T>(
        &self,
        mut req: ChatRequest,
        plan: Plan,
        max_retries: u32,
        parse: impl Fn(&Value) -> std::result::Result<T, String>,
    ) -> Result<Generated<T>> {
        plan.apply(&mut req);
        let mut usage = Usage::default();
        let mut cost = None;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let resp = self.chat(req.clone()).await?;
            tally(&mut usage, &mut cost, &resp);
            let problem = match plan.judge(&resp, &parse) {
                Ok((value, json)) => {
                    return Ok(Generated {
                        value,
                        json,
                        response: resp,
                        attempts,
                        usage,
                        cost,
                        strategy: plan.strategy,
                    })
                }
                Err(p) => p,
            };
            tracing::debug!(attempts, %problem, "structured output rejected");
            if attempts > max_retries {
                return Err(exhausted(attempts, &problem, resp));
            }
            plan.feed_back(&mut req, &resp, &problem);
        }
    }
}
