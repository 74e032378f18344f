//! `exllm session` and `exllm chat --session`: conversations saved between runs.
//!
//! Sessions live as JSON files in the platform data directory ($XDG_DATA_HOME/exllm/sessions,
//! else ~/.local/share/exllm/sessions; EXLLM_SESSIONS_DIR overrides both), managed through the
//! library's [`SessionStore`], so the CLI and programs share one format.

use crate::chat::ChatArgs;
use crate::output;
use clap::{Args, Subcommand, ValueEnum};
use exllm::session::{Session, SessionStore};
use exllm::{ChatResponse, Error, ErrorKind, Message, Part, Role, StreamEvent};
use futures_util::StreamExt;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
pub struct SessionArgs {
    #[command(subcommand)]
    command: SessionCommand,
}

#[derive(Subcommand)]
enum SessionCommand {
    /// List saved sessions.
    List {
        /// One JSON array on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Show a session's messages and totals.
    Show {
        /// The session's name.
        name: String,
        /// The session file as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a session.
    Delete {
        /// The session's name.
        name: String,
    },
    /// Print a session for keeping or sharing.
    Export {
        /// The session's name.
        name: String,
        /// json (the session file) or markdown (the conversation).
        #[arg(long, value_enum, default_value = "json")]
        format: ExportFormat,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Json,
    Markdown,
}

/// Where sessions are kept: EXLLM_SESSIONS_DIR, else $XDG_DATA_HOME/exllm/sessions, else
/// ~/.local/share/exllm/sessions (%APPDATA%\exllm\sessions on Windows).
pub fn sessions_dir() -> Result<PathBuf, Error> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = var("EXLLM_SESSIONS_DIR") {
        return Ok(d);
    }
    let data = var("XDG_DATA_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| var("HOME").map(|h| h.join(".local").join("share")))
        .or_else(|| var("APPDATA"))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                "no data directory: set EXLLM_SESSIONS_DIR, XDG_DATA_HOME or HOME",
            )
        })?;
    Ok(data.join("exllm").join("sessions"))
}

pub fn store() -> Result<SessionStore, Error> {
    sessions_dir().map(SessionStore::new)
}

pub async fn run(args: SessionArgs) -> u8 {
    match manage(args.command) {
        Ok(()) => 0,
        Err(e) => output::report(&e, false),
    }
}

fn manage(cmd: SessionCommand) -> Result<(), Error> {
    let store = store()?;
    match cmd {
        SessionCommand::List { json } => list(&store, json),
        SessionCommand::Show { name, json } => {
            let s = store.load(&name)?;
            if json {
                output::emit(pretty(&file_json(&s)?));
            } else {
                show(&name, &s);
            }
        }
        SessionCommand::Delete { name } => {
            store.delete(&name)?;
            eprintln!("exllm: deleted session {name}");
        }
        SessionCommand::Export { name, format } => {
            let s = store.load(&name)?;
            match format {
                ExportFormat::Json => output::emit(pretty(&file_json(&s)?)),
                ExportFormat::Markdown => output::emit(markdown(&name, &s)),
            }
        }
    }
    Ok(())
}

/// The session file's JSON with its costs (the total and each turn's) rounded for reading.
fn file_json(s: &Session) -> Result<serde_json::Value, Error> {
    let mut v = s.to_json()?;
    if let Some(c) = v.get_mut("cost") {
        crate::money::round_json(c);
    }
    if let Some(turns) = v.get_mut("turns").and_then(|t| t.as_array_mut()) {
        for c in turns.iter_mut().filter_map(|t| t.get_mut("cost")) {
            crate::money::round_json(c);
        }
    }
    Ok(v)
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn list(store: &SessionStore, json: bool) {
    let infos = store.list();
    if json {
        let v: Vec<serde_json::Value> = infos
            .iter()
            .map(|i| match &i.session {
                Ok(s) => serde_json::json!({"name": i.name, "model": s.model,
                    "messages": s.messages.len(), "updated_at": s.updated_at}),
                Err(e) => serde_json::json!({"name": i.name, "error": e}),
            })
            .collect();
        output::emit(serde_json::Value::from(v));
        return;
    }
    let rows: Vec<Vec<String>> = infos
        .iter()
        .map(|i| match &i.session {
            Ok(s) => vec![
                i.name.clone(),
                s.messages.len().to_string(),
                s.model.clone(),
                totals(s),
            ],
            Err(e) => vec![i.name.clone(), "-".into(), format!("unreadable: {e}")],
        })
        .collect();
    output::table(&["NAME", "MESSAGES", "MODEL", "USAGE"], &rows);
}

/// Tokens and cost so far, for people.
pub fn totals(s: &Session) -> String {
    let n = |v: Option<u64>| v.map_or("?".into(), |v| v.to_string());
    let cost = s
        .cost
        .as_ref()
        .map_or("cost unknown".into(), |c| crate::money::dollars(c.total));
    format!(
        "{} in, {} out, {cost}",
        n(s.usage.input_tokens),
        n(s.usage.output_tokens)
    )
}

fn role(r: Role) -> &'static str {
    match r {
        Role::System => "system",
        Role::Developer => "developer",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
        _ => "other",
    }
}

/// A message's parts as text: text as is, everything else as a short bracketed note.
fn render(m: &Message) -> String {
    let mut out = Vec::new();
    for p in &m.content {
        out.push(match p {
            Part::Text { text } => text.clone(),
            Part::Reasoning(r) => format!("[reasoning] {}", r.text),
            Part::ToolCall(c) => format!("[tool call {}] {}({})", c.id, c.name, c.arguments),
            Part::ToolResult(r) => format!("[tool result {}] {}", r.call_id, r.text_content()),
            Part::Image { .. } => "[image]".into(),
            Part::File { .. } => "[file]".into(),
            Part::Refusal { text } => format!("[refusal] {text}"),
            _ => "[provider item]".into(),
        });
    }
    out.join("\n")
}

fn show(name: &str, s: &Session) {
    output::emit(format!(
        "session {name}: {}, {} messages, {} turns, {}",
        s.model,
        s.messages.len(),
        s.turns.len(),
        totals(s)
    ));
    if let Some(sys) = &s.options.system {
        output::emit(format!("system: {sys}"));
    }
    for m in &s.messages {
        output::emit(format!("{}: {}", role(m.role), render(m)));
    }
}

fn markdown(name: &str, s: &Session) -> String {
    let mut out = format!("# Session {name}\n\nModel: `{}` — {}\n", s.model, totals(s));
    if let Some(sys) = &s.options.system {
        out.push_str(&format!("\n## System\n\n{sys}\n"));
    }
    for m in &s.messages {
        let r = role(m.role);
        let mut title = r.to_owned();
        if let Some(first) = title.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        out.push_str(&format!("\n## {title}\n\n{}\n", render(m)));
    }
    out
}

/// `exllm chat --session NAME` (and `-i`): continue a saved conversation.
pub async fn chat(args: ChatArgs) -> u8 {
    if args.interactive {
        return crate::repl::run(args).await;
    }
    match chat_once(&args).await {
        Ok(code) => code,
        Err(e) => crate::chat::report_broken(e, args.json),
    }
}

/// The session named by `--session` (loaded, or new), with the flags applied, and who
/// answers it (the router for a group of the router config, else a client).
pub fn open(args: &ChatArgs) -> Result<(crate::caller::Caller, Session), Error> {
    if args.schema.is_some() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "--schema cannot be combined with --session or -i",
        ));
    }
    let existing = match &args.session {
        Some(name) if store()?.exists(name) => Some(store()?.load(name)?),
        Some(name) => {
            store()?.path(name)?;
            None
        }
        None => None,
    };
    let mut session = match existing {
        Some(mut s) => {
            // A saved session keeps its model unless one is named on the command line (a
            // model that only comes from EXLLM_MODEL does not switch it).
            let from_env = std::env::var("EXLLM_MODEL").ok();
            if let Some(m) = args
                .model
                .as_ref()
                .filter(|m| Some(*m) != from_env.as_ref())
            {
                s.model = m.clone();
            }
            s
        }
        None => {
            let model = match &args.model {
                Some(m) => m.clone(),
                None => {
                    let m = crate::chat::default_model()?;
                    eprintln!("exllm: using {m}");
                    m
                }
            };
            Session::new(model)
        }
    };
    if let Some(sys) = &args.system {
        session.options.system = Some(sys.clone());
    }
    if let Some(n) = args.max_tokens {
        session.options.max_tokens = Some(n);
    }
    if let Some(t) = args.temperature {
        session.options.temperature = Some(t);
    }
    let caller = crate::caller::Caller::open(args, &session.model)?;
    Ok((caller, session))
}

async fn chat_once(args: &ChatArgs) -> Result<u8, Error> {
    let (client, mut session) = open(args)?;
    let mut user = Message::user(crate::chat::prompt(args)?);
    for image in &args.image {
        user.content.push(exllm::media::from_path_or_url(image)?);
    }
    let resp = client
        .turn(&mut session, user, args.stream, !args.json)
        .await?;
    let failed = output::answer_error(&resp);
    // An answer that ended in an error is shown but not kept: the saved conversation stays
    // as it was, so running the same prompt again continues it cleanly.
    if let (Some(name), None) = (&args.session, &failed) {
        store()?.save(name, &session)?;
    }
    if args.json {
        output::emit(crate::chat::response_json(&resp));
    } else if !args.stream {
        crate::chat::print_plain(&resp);
    }
    for w in &resp.warnings {
        eprintln!("exllm: warning: {}", w.message);
    }
    match failed {
        Some(e) => {
            eprintln!("exllm: the provider reported an error: {e}");
            Ok(crate::EXIT_FAILURE)
        }
        None => Ok(0),
    }
}

/// Prints a session's streamed turn as it arrives (text on stdout, reasoning on stderr) when
/// `live`, and returns the recorded answer.
pub async fn print_stream(
    mut s: exllm::session::SessionStream<'_>,
    live: bool,
) -> Result<ChatResponse, Error> {
    let mut out = std::io::stdout();
    while let Some(item) = s.next().await {
        match item {
            Ok(StreamEvent::TextDelta(t)) if live => {
                let _ = out.write_all(t.as_bytes());
                let _ = out.flush();
            }
            Ok(StreamEvent::ReasoningDelta(t)) if live => eprint!("{t}"),
            Ok(_) => {}
            Err(e) => {
                if live {
                    let _ = writeln!(out);
                }
                return Err(e);
            }
        }
    }
    if live {
        let _ = writeln!(out);
    }
    let resp = s.finish().await?;
    if live {
        for c in resp.tool_calls() {
            let _ = writeln!(out, "[tool call {}] {}({})", c.id, c.name, c.arguments);
        }
    }
    Ok(resp)
}
