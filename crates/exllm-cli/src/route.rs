//! Routed calls in the CLI: `exllm chat -m GROUP` when a router config names that group
//! (streams too, and `route` in `--json`), and `exllm route --explain`, which shows what the
//! router would do with a request without sending it.

use crate::chat::{self, ChatArgs};
use crate::output;
use clap::Args;
use exllm::router::{Explanation, Route, Router};
use exllm::Error;

#[derive(Args)]
pub struct RouteArgs {
    /// Show the candidates, the checks that removed some, the choice and why, without sending
    /// the request (without it, the request is sent through the router like `exllm chat`).
    #[arg(long)]
    explain: bool,
    #[command(flatten)]
    chat: ChatArgs,
}

/// `exllm chat` through the router when the model names one of its groups; `None` when the
/// call is not routed (no config, or a `provider/model`).
pub async fn chat(args: &ChatArgs) -> Option<u8> {
    let router = match crate::router_config::load(&args.router) {
        Ok(r) => r?,
        Err(e) => return Some(output::report(&e, args.json)),
    };
    let group = args.model.as_deref().filter(|m| router.has_group(m))?;
    if args.schema.is_some() {
        // Not dropped silently: the router has no structured-output loop.
        let e = Error::new(
            exllm::ErrorKind::InvalidInput,
            format!(
                "--schema is not available for a routed group (`{group}`); name a provider/model"
            ),
        );
        return Some(output::report(&e, args.json));
    }
    Some(send(&router, args, group).await)
}

async fn send(router: &Router, args: &ChatArgs, group: &str) -> u8 {
    let req = match chat::request(args, group.to_owned()) {
        Ok(r) => r,
        Err(e) => return output::report(&e, args.json),
    };
    // An answer carries its route (`route` in its JSON); a failed call's route is added to
    // the error's JSON (a broken stream's partial answer carries its own).
    let (result, route) = if args.stream {
        match router.chat_stream_routed(req).await {
            (Ok(s), _) => (chat::print_stream(s, !args.json).await, None),
            (Err(e), route) => (Err(e), Some(route)),
        }
    } else {
        let (r, route) = router.chat_routed(req).await;
        (r, Some(route))
    };
    // A shared state (Redis) settles off the request's path: let it land before exiting.
    router.state().flush().await;
    let route = match &result {
        Ok(_) => None,
        Err(e) => e.partial().and_then(Route::of).or(route),
    };
    let value = route.map(|r| r.to_value());
    chat::finish(result, args, value)
}

pub async fn run(args: RouteArgs) -> u8 {
    let json = args.chat.json;
    let router = match crate::router_config::require(&args.chat.router) {
        Ok(r) => r,
        Err(e) => return output::report(&e, json),
    };
    let Some(group) = args.chat.model.clone() else {
        let e = Error::new(
            exllm::ErrorKind::InvalidInput,
            format!(
                "name a group with -m (groups: {})",
                router.groups().join(", ")
            ),
        );
        return output::report(&e, json);
    };
    if !args.explain {
        if !router.has_group(&group) {
            return output::report(&no_group(&router, &group), json);
        }
        return send(&router, &args.chat, &group).await;
    }
    let req = match chat::request(&args.chat, group.clone()) {
        Ok(r) => r,
        Err(e) => return output::report(&e, json),
    };
    match router.explain(&req, args.chat.stream) {
        Ok(x) if json => {
            output::emit(serde_json::to_value(&x).unwrap_or_default());
            0
        }
        Ok(x) => {
            print_explanation(&router, &x);
            0
        }
        Err(_) if !router.has_group(&group) => output::report(&no_group(&router, &group), json),
        Err(e) => output::report(&e, json),
    }
}

fn no_group(router: &Router, group: &str) -> Error {
    Error::new(
        exllm::ErrorKind::InvalidInput,
        format!(
            "the router has no group `{group}` (groups: {})",
            router.groups().join(", ")
        ),
    )
}

fn print_explanation(router: &Router, x: &Explanation) {
    output::emit(format_args!(
        "group {}: prompt ~{} tokens, up to {} output tokens; strategy {}",
        x.group, x.prompt_tokens, x.output_tokens, x.strategy
    ));
    let rows: Vec<Vec<String>> = x
        .considered
        .iter()
        .map(|c| {
            vec![
                c.deployment.clone(),
                c.model.clone(),
                c.order.to_string(),
                c.in_flight.to_string(),
                c.latency_ms.map_or("-".into(), |l| format!("{l:.0}ms")),
                c.estimated_cost
                    .map_or("-".into(), |u| format!("${}", crate::money::amount(u))),
                match &c.removed {
                    Some(why) => format!("removed: {why}"),
                    None => "candidate".into(),
                },
            ]
        })
        .collect();
    output::table(
        &[
            "DEPLOYMENT",
            "MODEL",
            "TIER",
            "IN FLIGHT",
            "LATENCY",
            "EST. COST",
            "STATUS",
        ],
        &rows,
    );
    match &x.choice {
        Some(c) => output::emit(format_args!("choice: {c} ({})", x.reason)),
        None => output::emit(format_args!("choice: none ({})", x.reason)),
    }
    if !x.fallbacks.is_empty() {
        let names: Vec<String> = x
            .fallbacks
            .iter()
            .map(|g| match router.has_group(g) {
                true => g.clone(),
                false => format!("{g} (no such group)"),
            })
            .collect();
        output::emit(format_args!("fallbacks: {}", names.join(", ")));
    }
}
