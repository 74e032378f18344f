//! Who answers a session's turns (`exllm chat --session`, `exllm chat -i`): the router when
//! the session's model names one of the router config's groups, else a client for its
//! `provider/model`. A routed turn is built by the session (its history, context policy and
//! options), sent through the router, and recorded in the session like a direct one.

use exllm::router::Router;
use exllm::session::Session;
use exllm::{ChatResponse, Client, Error, Message};

/// The router of the config (if any) and the client for `provider/model` sessions.
pub struct Caller {
    router: Option<Router>,
    client: Option<Client>,
}

impl Caller {
    /// The caller for a session on `model`, with `--base-url`/`--api` applied to a direct
    /// model's provider.
    pub fn open(args: &crate::chat::ChatArgs, model: &str) -> Result<Caller, Error> {
        let router = crate::router_config::load(&args.router)?;
        let client = match &router {
            Some(r) if r.has_group(model) => None,
            _ => Some(crate::chat::client_for(args, model)?),
        };
        Ok(Caller { router, client })
    }

    /// Whether `model` is a group of the router config.
    pub fn routes(&self, model: &str) -> bool {
        self.router.as_ref().is_some_and(|r| r.has_group(model))
    }

    /// Makes ready to answer on `model` (`/model` in the REPL): a group, or a
    /// `provider/model`.
    pub fn switch(&mut self, model: &str) -> Result<(), Error> {
        if self.routes(model) {
            return Ok(());
        }
        exllm::client::split_model(model)?;
        if self.client.is_none() {
            self.client = Some(crate::local::register(Client::builder()).build()?);
        }
        Ok(())
    }

    /// One turn of `session`: `user` sent with the history, streamed (printed as it arrives
    /// when `live`) or whole, and recorded in the session when it answers.
    pub async fn turn(
        &self,
        session: &mut Session,
        user: Message,
        stream: bool,
        live: bool,
    ) -> Result<ChatResponse, Error> {
        match (&self.router, &self.client) {
            (Some(router), _) if router.has_group(&session.model) => {
                let (req, dropped) = session.request_for(&user)?;
                let out = if stream {
                    match router.chat_stream(req).await {
                        Ok(s) => crate::chat::print_stream(s, live).await,
                        Err(e) => Err(e),
                    }
                } else {
                    router.chat(req).await
                };
                // A shared state (Redis) settles off the call's path: let it land.
                router.state().flush().await;
                let resp = out?;
                session.record(user, &resp, dropped);
                Ok(resp)
            }
            (_, Some(client)) if stream => {
                let s = session.chat_stream_message(client, user).await?;
                crate::session::print_stream(s, live).await
            }
            (_, Some(client)) => session.chat_message(client, user).await,
            (_, None) => Err(Error::new(
                exllm::ErrorKind::Config,
                format!("`{}` is not a group of the router config", session.model),
            )),
        }
    }
}
