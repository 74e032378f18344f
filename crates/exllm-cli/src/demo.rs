//! `exllm demo`: an interactive menu that walks through exllm's features, each step a few
//! lines of the library run against the built-in mock (no key, no network), so a newcomer
//! sees every feature work in a minute. The steps are in `demo_steps`; this file is the menu.

use clap::Args;
use dialoguer::theme::ColorfulTheme;
use dialoguer::Select;

/// Arguments of `exllm demo`.
#[derive(Args)]
#[command(after_help = "Arrow keys choose, Enter runs a step, q or Esc quits.
Every step runs on the keyless mock; the examples in crates/exllm/examples show the same
features against real providers.")]
pub struct DemoArgs {}

/// The steps, in menu order, with what they show.
pub const STEPS: &[(&str, &str)] = &[
    ("Chat", "one question, one answer"),
    ("Streaming", "an answer printed as it arrives"),
    ("Tools", "the model calls a Rust function"),
    ("Structured output", "the answer as a typed value"),
    ("Cost", "the catalog's prices applied to a call"),
    ("Context fitting", "a long chat cut to the window"),
    ("Guardrails", "personal data masked before it leaves"),
    ("Sessions", "a conversation with its history and usage"),
    ("Cache", "the same question answered once"),
    ("Router", "a failing deployment's call moves on"),
];

/// Runs `exllm demo`; the exit code.
pub async fn run(_args: DemoArgs) -> u8 {
    println!("exllm demo: every step runs on the built-in mock, with no key and no network.\n");
    let mut items: Vec<String> = STEPS
        .iter()
        .map(|(name, what)| format!("{name:<18} {what}"))
        .collect();
    items.push("Quit".into());
    let mut at = 0;
    loop {
        let picked = Select::with_theme(&ColorfulTheme::default())
            .with_prompt("Pick a feature")
            .items(&items)
            .default(at)
            .interact_opt();
        let choice = match picked {
            Ok(Some(i)) if i < STEPS.len() => i,
            Ok(_) => return 0,
            Err(e) => {
                eprintln!("exllm demo: needs an interactive terminal ({e})");
                return crate::EXIT_CONFIG;
            }
        };
        println!("\n== {}", STEPS[choice].0);
        if let Err(e) = crate::demo_steps::run(choice).await {
            println!("step failed: {e}");
        }
        println!();
        at = (choice + 1) % items.len();
    }
}
