//! `exllm chat -i`: an interactive conversation, one prompt per stdin line.
//!
//! The loop is a thin shell over a library [`exllm::session::Session`]: each line is a streamed
//! turn, and slash commands change the model or system prompt, save, or show the running
//! cost. Reading plain lines (no line editor) keeps it scriptable: piping a file of prompts
//! into it is how it is tested. With `--session NAME` (or after `/save NAME`) every turn is
//! saved, so quitting at any moment loses nothing.

use crate::chat::ChatArgs;
use crate::output;
use crate::session::{open, print_stream, store, totals};
use exllm::session::Session;
use exllm::{Client, Error};
use std::io::IsTerminal;
use tokio::io::{AsyncBufReadExt, BufReader};

const HELP: &str = "commands: /model PROVIDER/MODEL, /system TEXT (empty clears), /save NAME, \
/cost, /help, /quit";

/// Runs the loop until `/quit` or the end of stdin.
pub async fn run(args: ChatArgs) -> u8 {
    let (client, session) = match open(&args) {
        Ok(x) => x,
        Err(e) => return output::report(&e, false),
    };
    let mut repl = Repl {
        client,
        session,
        name: args.session.clone(),
    };
    let tty = std::io::stdin().is_terminal();
    if tty {
        eprintln!("exllm: chatting with {} ({HELP})", repl.session.model);
    }
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        if tty {
            eprint!("> ");
        }
        let line = match lines.next_line().await {
            Ok(Some(l)) => l,
            Ok(None) => return 0,
            Err(e) => {
                eprintln!("exllm: cannot read stdin: {e}");
                return crate::EXIT_FAILURE;
            }
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(cmd) = line.strip_prefix('/') {
            if !repl.command(cmd) {
                return 0;
            }
            continue;
        }
        if let Err(e) = repl.turn(line).await {
            eprintln!("exllm: {e}");
        }
    }
}

struct Repl {
    client: Client,
    session: Session,
    /// Where every turn is saved, once named.
    name: Option<String>,
}

impl Repl {
    /// Runs a slash command; `false` ends the loop.
    fn command(&mut self, cmd: &str) -> bool {
        let (word, rest) = cmd.split_once(' ').unwrap_or((cmd, ""));
        let rest = rest.trim();
        match word {
            "quit" | "exit" | "q" => return false,
            "model" => match exllm::client::split_model(rest) {
                Ok(_) => {
                    self.session.model = rest.to_owned();
                    eprintln!("exllm: model {rest}");
                }
                Err(e) => eprintln!("exllm: {e}"),
            },
            "system" => {
                self.session.options.system = (!rest.is_empty()).then(|| rest.to_owned());
                eprintln!(
                    "exllm: system prompt {}",
                    if rest.is_empty() { "cleared" } else { "set" }
                );
            }
            "save" => {
                let name = if rest.is_empty() {
                    self.name.clone()
                } else {
                    Some(rest.to_owned())
                };
                match name {
                    Some(n) => match self.save(&n) {
                        Ok(()) => {
                            eprintln!("exllm: saved session {n}");
                            self.name = Some(n);
                        }
                        Err(e) => eprintln!("exllm: {e}"),
                    },
                    None => eprintln!("exllm: /save NAME"),
                }
            }
            "cost" => output::emit(format!(
                "{} turns, {}",
                self.session.turns.len(),
                totals(&self.session)
            )),
            "help" => eprintln!("{HELP}"),
            _ => eprintln!("exllm: unknown command /{word} ({HELP})"),
        }
        true
    }

    fn save(&self, name: &str) -> Result<(), Error> {
        store()?.save(name, &self.session)
    }

    /// One streamed turn, saved afterwards when the session has a name.
    async fn turn(&mut self, text: &str) -> Result<(), Error> {
        let s = self.session.chat_stream(&self.client, text).await?;
        print_stream(s, true).await?;
        if let Some(n) = &self.name {
            self.save(n)?;
        }
        Ok(())
    }
}
