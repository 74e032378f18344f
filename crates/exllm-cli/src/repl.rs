//! `exllm chat -i`: an interactive conversation.
//!
//! The loop is a thin shell over a library [`exllm::session::Session`]: each entry (read by
//! [`crate::repl_input`], with line editing and history on a terminal, plain lines from a
//! pipe) is a streamed turn, and slash commands change the model or system prompt, save, or
//! show the running cost. On a terminal Ctrl-C stops the answer being generated and returns
//! to the prompt (the stopped turn is not kept), Ctrl-C at the prompt drops what was typed,
//! and Ctrl-D quits. With `--session NAME` (or after `/save NAME`) every turn is saved, so
//! quitting at any moment loses nothing.

use crate::chat::ChatArgs;
use crate::output;
use crate::repl_input::{Input, Reader};
use crate::session::{open, store, totals};
use exllm::session::Session;
use exllm::Error;
use std::io::IsTerminal;

const HELP: &str = "commands: /model PROVIDER/MODEL, /system TEXT (empty clears), /save NAME, \
/cost, /help, /quit; end a line with \\ to go on, or put a block between \"\"\" lines; \
Ctrl-C stops an answer, Ctrl-D quits";

/// Runs the loop until `/quit` or the end of input.
pub async fn run(args: ChatArgs) -> u8 {
    let (client, session) = match open(&args) {
        Ok(x) => x,
        Err(e) => return output::report(&e, false),
    };
    let tty = std::io::stdin().is_terminal();
    let mut reader = match Reader::new(tty) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("exllm: cannot read the terminal: {e}");
            return crate::EXIT_FAILURE;
        }
    };
    let mut repl = Repl {
        client,
        session,
        name: args.session.clone(),
        tty,
    };
    if tty {
        eprintln!("exllm: chatting with {} ({HELP})", repl.session.model);
    }
    loop {
        // The editor blocks on the terminal; this worker thread may block while it does.
        let entry = match tokio::task::block_in_place(|| reader.read()) {
            Ok(Input::Entry(e)) => e,
            Ok(Input::Interrupted) => continue,
            Ok(Input::Eof) => return 0,
            Err(e) => {
                eprintln!("exllm: cannot read the input: {e}");
                return crate::EXIT_FAILURE;
            }
        };
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        if let Some(cmd) = entry.strip_prefix('/') {
            if !repl.command(cmd) {
                return 0;
            }
            continue;
        }
        if let Err(e) = repl.turn(entry).await {
            eprintln!("exllm: {e}");
        }
    }
}

struct Repl {
    client: crate::caller::Caller,
    session: Session,
    /// Where every turn is saved, once named.
    name: Option<String>,
    /// Input is a terminal: Ctrl-C stops an answer instead of ending the process.
    tty: bool,
}

impl Repl {
    /// Runs a slash command; `false` ends the loop.
    fn command(&mut self, cmd: &str) -> bool {
        let (word, rest) = cmd.split_once(' ').unwrap_or((cmd, ""));
        let rest = rest.trim();
        match word {
            "quit" | "exit" | "q" => return false,
            "model" => match self.client.switch(rest) {
                Ok(()) => {
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

    /// One streamed turn, saved afterwards when the session has a name. A turn stopped with
    /// Ctrl-C, or whose answer ended in an error, leaves the conversation as it was.
    async fn turn(&mut self, text: &str) -> Result<(), Error> {
        let before = self.session.clone();
        let (session, client) = (&mut self.session, &self.client);
        let answer = client.turn(session, exllm::Message::user(text), true, true);
        let resp = tokio::select! {
            r = answer => r?,
            () = interrupted(self.tty) => {
                println!();
                eprintln!("exllm: stopped");
                self.session = before;
                return Ok(());
            }
        };
        if let Some(e) = output::answer_error(&resp) {
            self.session = before;
            eprintln!("exllm: the provider reported an error: {e}");
            return Ok(());
        }
        if let Some(n) = &self.name {
            self.save(n)?;
        }
        Ok(())
    }
}

/// Resolves on Ctrl-C when input is a terminal; never otherwise, so that Ctrl-C ends a
/// scripted run as usual.
async fn interrupted(tty: bool) {
    if tty && tokio::signal::ctrl_c().await.is_ok() {
        return;
    }
    std::future::pending().await
}
