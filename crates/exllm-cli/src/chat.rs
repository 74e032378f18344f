//! `exllm chat`: one prompt, one answer, printed as text, as a token stream, or as one JSON
//! object.

use crate::output;
use clap::Args;
use exllm::provider::registry::PROVIDERS;
use exllm::{Api, ChatRequest, Client, Error, ErrorKind, Message, StreamEvent};
use futures_util::StreamExt;
use serde_json::Value;
use std::io::{IsTerminal, Read, Write};

#[derive(Args)]
pub struct ChatArgs {
    /// The prompt (read from stdin when absent).
    pub(crate) prompt: Vec<String>,
    /// provider/model, e.g. openai/gpt-4o-mini (default: EXLLM_MODEL, else the first provider
    /// whose key is set, else the in-process local/smollm2-135m-instruct).
    #[arg(short, long, env = "EXLLM_MODEL")]
    pub(crate) model: Option<String>,
    /// A system prompt.
    #[arg(short, long)]
    pub(crate) system: Option<String>,
    /// Print tokens as they arrive.
    #[arg(long)]
    pub(crate) stream: bool,
    /// Print exactly one JSON object (text, reasoning, tool_calls, finish_reason, usage).
    #[arg(long)]
    pub(crate) json: bool,
    /// The provider's base URL, replacing its default (include the version path, e.g. /v1).
    #[arg(long)]
    base_url: Option<String>,
    /// Wire API: openai-chat, openai-responses or anthropic (default: the provider's own).
    #[arg(long)]
    api: Option<String>,
    /// Maximum output tokens.
    #[arg(long)]
    pub(crate) max_tokens: Option<u32>,
    /// Sampling temperature.
    #[arg(long)]
    pub(crate) temperature: Option<f64>,
    /// Ask for N answers (choices) at once; all are printed, the others after `[choice i]`
    /// (under `alternatives` with --json).
    #[arg(short = 'n', long = "choices", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) n: Option<u32>,
    /// Service tier (`auto`, `default`, `flex`, `priority`, ...) for providers with tiers;
    /// the tier that served the call is printed with --json.
    #[arg(long, value_name = "TIER")]
    pub(crate) service_tier: Option<String>,
    /// Predicted output, most of the answer known in advance (code being edited): a file,
    /// else the text itself.
    #[arg(long, value_name = "FILE|TEXT")]
    pub(crate) prediction: Option<String>,
    /// An image to show the model: a file (its type read from its bytes), an http(s) URL or
    /// a data: URL. Repeatable. PDFs are sent as documents.
    #[arg(long, value_name = "PATH_OR_URL")]
    pub(crate) image: Vec<String>,
    /// A JSON Schema file: the answer is JSON matching it (validated, with retries), printed
    /// as JSON (under `output` with --json).
    #[arg(long, value_name = "FILE")]
    pub(crate) schema: Option<std::path::PathBuf>,
    /// Continue the saved conversation NAME (created when new) and save it after the answer
    /// (`exllm session` lists them).
    #[arg(long, value_name = "NAME")]
    pub(crate) session: Option<String>,
    /// Interactive: a conversation with line editing and history (prompts line by line when
    /// stdin is a pipe); /model, /system, /save, /cost, /quit; Ctrl-C stops an answer, Ctrl-D
    /// quits. With --session, saved after every turn.
    #[arg(short = 'i', long)]
    pub(crate) interactive: bool,
    #[command(flatten)]
    pub(crate) media: crate::chat_media::MediaArgs,
    #[command(flatten)]
    pub(crate) router: crate::router_config::RouterArg,
    #[command(flatten)]
    pub(crate) guard: crate::guardrails::GuardArgs,
}

pub(crate) fn default_model() -> Result<String, Error> {
    for p in PROVIDERS
        .iter()
        .filter(|p| p.key_required && !p.default_model.is_empty())
    {
        if p.key_env
            .iter()
            .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()))
        {
            return Ok(format!("{}/{}", p.name, p.default_model));
        }
    }
    #[cfg(feature = "local")]
    return Ok(crate::local::default_model());
    #[cfg(not(feature = "local"))]
    Err(Error::new(
        ErrorKind::Config,
        "no model configured: pass --model provider/model, set EXLLM_MODEL, or set a provider key such as OPENAI_API_KEY or ANTHROPIC_API_KEY (`exllm models` lists them)",
    ))
}

pub(crate) fn prompt(args: &ChatArgs) -> Result<String, Error> {
    if !args.prompt.is_empty() {
        return Ok(args.prompt.join(" "));
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "no prompt: pass one as an argument or on stdin",
        ));
    }
    let mut s = String::new();
    stdin
        .lock()
        .read_to_string(&mut s)
        .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("cannot read stdin: {e}")))?;
    let s = s.trim().to_owned();
    if s.is_empty() {
        return Err(Error::new(ErrorKind::InvalidInput, "empty prompt"));
    }
    Ok(s)
}

fn setup(args: &ChatArgs) -> Result<(Client, ChatRequest), Error> {
    let model = match &args.model {
        Some(m) => m.clone(),
        None => {
            let m = default_model()?;
            eprintln!("exllm: using {m}");
            m
        }
    };
    let client = client_for(args, &model)?;
    Ok((client, request(args, model)?))
}

/// The request: system prompt, the prompt with its images, the sampling options.
pub(crate) fn request(args: &ChatArgs, model: String) -> Result<ChatRequest, Error> {
    let mut messages = Vec::new();
    if let Some(s) = &args.system {
        messages.push(Message::system(s.clone()));
    }
    let mut user = Message::user(prompt(args)?);
    for image in &args.image {
        user.content.push(exllm::media::from_path_or_url(image)?);
    }
    messages.push(user);
    let mut req = ChatRequest::new(model, messages);
    req.max_tokens = args.max_tokens;
    req.temperature = args.temperature;
    req.n = args.n;
    req.service_tier = args.service_tier.clone();
    req.prediction = args.prediction.as_deref().map(prediction).transpose()?;
    args.media.apply(&mut req, args.stream)?;
    Ok(req)
}

/// `--prediction`: the file's text when it names a file, else the text given.
fn prediction(arg: &str) -> Result<String, Error> {
    let path = std::path::Path::new(arg);
    if !path.is_file() {
        return Ok(arg.to_owned());
    }
    std::fs::read_to_string(path).map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("prediction {}: {e}", path.display()),
        )
    })
}

/// The client, with `--base-url` and `--api` applied to `model`'s provider.
pub(crate) fn client_for(args: &ChatArgs, model: &str) -> Result<Client, Error> {
    let (provider, _) = exllm::client::split_model(model)?;
    let mut b = crate::local::register(Client::builder());
    if let Some(url) = &args.base_url {
        b = b.base_url(provider, url.clone());
    }
    if let Some(api) = &args.api {
        b = b.api(provider, api.parse::<Api>()?);
    }
    b.build()
}

pub async fn run(args: ChatArgs) -> u8 {
    if args.guard.any() {
        return guarded(args).await;
    }
    if args.session.is_some() || args.interactive {
        return crate::session::chat(args).await;
    }
    if let Some(code) = crate::route::chat(&args).await {
        return code;
    }
    let (client, req) = match setup(&args) {
        Ok(x) => x,
        Err(e) => return output::report(&e, args.json),
    };
    if let Some(path) = &args.schema {
        return structured(&client, req, path, &args).await;
    }
    let result = if args.stream {
        stream(&client, req, !args.json).await
    } else {
        client.chat(req).await
    };
    finish(result, &args, None)
}

/// A chat call with the guardrails of `--guardrails` / `--guard` around it.
async fn guarded(args: ChatArgs) -> u8 {
    let setup = crate::guardrails::check_supported(&args).and_then(|()| {
        let (client, req) = setup(&args)?;
        let rails = args.guard.load(&client)?;
        Ok((client, req, rails))
    });
    let (client, req, rails) = match setup {
        Ok(x) => x,
        Err(e) => return output::report(&e, args.json),
    };
    let result = if args.stream {
        match rails.chat_stream(req, |r| client.chat_stream(r)).await {
            Ok(s) => print_stream(s, !args.json).await,
            Err(e) => Err(e),
        }
    } else {
        rails.chat(req, |r| client.chat(r)).await
    };
    finish(result, &args, None)
}

/// Prints a call's answer or error; `route` (a failed routed call's attempts) joins the
/// error's JSON (an answer's JSON shows its own [`exllm::ChatResponse::route`]).
pub(crate) fn finish(
    result: Result<exllm::ChatResponse, Error>,
    args: &ChatArgs,
    route: Option<serde_json::Value>,
) -> u8 {
    match result {
        Ok(resp) => {
            let format = args.media.audio_format.as_deref().or(match args.stream {
                true => Some("pcm16"),
                false => Some("wav"),
            });
            let media = match args.media.save(&resp, format) {
                Ok(m) => m,
                Err(e) => return output::report(&e, args.json),
            };
            if args.json {
                let mut v = response_json(&resp);
                if let (Value::Object(v), Value::Object(m)) = (&mut v, media) {
                    v.extend(m);
                }
                println!("{v}");
            } else if !args.stream {
                print_plain(&resp);
            } else {
                print_alternatives(&resp);
            }
            for w in &resp.warnings {
                eprintln!("exllm: warning: {}", w.message);
            }
            match output::answer_error(&resp) {
                Some(e) => {
                    eprintln!("exllm: the provider reported an error: {e}");
                    crate::EXIT_FAILURE
                }
                None => 0,
            }
        }
        Err(e) => match route {
            Some(r) if args.json && e.partial().is_none() => {
                let mut v = output::error_json(&e);
                v["route"] = r;
                println!("{v}");
                eprintln!("exllm: {e}");
                output::exit_code(&e)
            }
            _ => report_broken(e, args.json),
        },
    }
}

/// Reports a failed call; with `--json`, a stream that broke is shown with what arrived,
/// marked as an error.
pub(crate) fn report_broken(mut e: Error, json: bool) -> u8 {
    match e.take_partial() {
        Some(mut partial) if json => {
            partial.finish = Some(exllm::FinishReason::new(
                exllm::FinishKind::Error,
                format!("{:?}", e.kind()),
            ));
            let mut v = output::response_json(&partial);
            v["error"] = output::error_json(&e)["error"].clone();
            println!("{v}");
            eprintln!("exllm: {e}");
            output::exit_code(&e)
        }
        _ => output::report(&e, json),
    }
}

/// The response as JSON, with its price when the catalog knows the model.
pub(crate) fn response_json(resp: &exllm::ChatResponse) -> serde_json::Value {
    let mut v = output::response_json(resp);
    if let Some(cost) = &resp.cost {
        v["cost"] = crate::money::cost_json(cost);
    }
    v
}

/// `--schema`: the answer as JSON matching the schema file, with partial values on stderr
/// while `--stream`ing.
async fn structured(
    client: &Client,
    req: ChatRequest,
    path: &std::path::Path,
    args: &ChatArgs,
) -> u8 {
    let schema = match std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).map_err(|e| e.to_string()))
    {
        Ok(s) => s,
        Err(e) => {
            let e = Error::new(
                ErrorKind::InvalidInput,
                format!("schema {}: {e}", path.display()),
            );
            return output::report(&e, args.json);
        }
    };
    let opts = exllm::structured::GenerateOptions::default();
    let result = if args.stream {
        stream_structured(client, req, schema, opts).await
    } else {
        client.generate_json(req, schema, opts).await
    };
    match result {
        Ok(g) => {
            if args.json {
                let mut v = response_json(&g.response);
                v["output"] = g.json;
                v["attempts"] = g.attempts.into();
                println!("{v}");
            } else {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&g.json).unwrap_or_default()
                );
            }
            0
        }
        Err(e) => output::report(&e, args.json),
    }
}

async fn stream_structured(
    client: &Client,
    req: ChatRequest,
    schema: serde_json::Value,
    opts: exllm::structured::GenerateOptions,
) -> Result<exllm::structured::Generated<serde_json::Value>, Error> {
    use exllm::structured::StructuredEvent;
    let mut s = client.generate_json_stream(req, schema, opts).await?;
    while let Some(event) = s.next().await {
        match event? {
            StructuredEvent::Partial(v) => eprintln!("{v}"),
            StructuredEvent::Retry { problem } => eprintln!("exllm: retrying: {problem}"),
            StructuredEvent::Done(g) => return Ok(g),
            _ => {}
        }
    }
    Err(Error::new(
        ErrorKind::Decode,
        "the stream ended without an answer",
    ))
}

pub(crate) fn print_plain(resp: &exllm::ChatResponse) {
    let reasoning = resp.reasoning_text();
    if !reasoning.is_empty() {
        eprintln!("[reasoning] {reasoning}");
    }
    println!("{}", resp.text());
    if let Some(t) = crate::chat_media::transcript(resp) {
        println!("[audio] {t}");
    }
    for c in resp.tool_calls() {
        println!("[tool call {}] {}({})", c.id, c.name, c.arguments);
    }
    print_alternatives(resp);
}

/// The other choices of a call that asked for several (`-n`), each after `[choice i]`.
fn print_alternatives(resp: &exllm::ChatResponse) {
    for a in &resp.alternatives {
        println!("[choice {}]", a.index);
        println!("{}", a.text());
        for p in &a.content {
            if let exllm::Part::ToolCall(c) = p {
                println!("[tool call {}] {}({})", c.id, c.name, c.arguments);
            }
        }
    }
}

/// Streams the answer, printing text as it arrives when `live`, and returns the collected
/// response (or the error with everything that arrived before it).
async fn stream(
    client: &Client,
    req: ChatRequest,
    live: bool,
) -> Result<exllm::ChatResponse, Error> {
    print_stream(client.chat_stream(req).await?, live).await
}

/// Collects a stream, printing text as it arrives when `live`.
pub(crate) async fn print_stream(
    mut s: exllm::ChatStream,
    live: bool,
) -> Result<exllm::ChatResponse, Error> {
    let mut c = exllm::Collector::new();
    let mut out = std::io::stdout();
    while let Some(item) = s.next().await {
        match item {
            Ok(ev) => {
                if live {
                    match &ev {
                        StreamEvent::TextDelta(t) => {
                            let _ = out.write_all(t.as_bytes());
                            let _ = out.flush();
                        }
                        StreamEvent::ReasoningDelta(t) => eprint!("{t}"),
                        StreamEvent::AudioDelta(a) => {
                            if let Some(t) = &a.transcript {
                                let _ = out.write_all(t.as_bytes());
                                let _ = out.flush();
                            }
                        }
                        _ => {}
                    }
                }
                c.push(ev);
            }
            Err(e) => {
                if live {
                    println!();
                }
                return Err(e.with_partial(c.finish()));
            }
        }
    }
    let mut resp = c.finish();
    resp.cost = resp.usage.as_ref().and_then(|u| s.cost_of(u));
    if live {
        println!();
        for call in resp.tool_calls() {
            println!("[tool call {}] {}({})", call.id, call.name, call.arguments);
        }
    }
    Ok(resp)
}
