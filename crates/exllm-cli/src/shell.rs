//! `exllm completions SHELL` and `exllm man`: shell completion scripts and roff manual pages,
//! both generated from the same clap definition the binary parses with, so they never drift
//! from the real flags.

use clap::Args;
use clap_complete::Shell;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    shell: Shell,
}

#[derive(Args)]
pub struct ManArgs {
    /// Write exllm.1 and one page per subcommand (exllm-chat.1, ...) into this directory
    /// instead of printing exllm.1 on stdout.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Prints the completion script for `args.shell` (e.g. `exllm completions bash >
/// /etc/bash_completion.d/exllm`, or `source <(exllm completions zsh)`).
pub fn completions(args: CompletionsArgs, mut cmd: clap::Command) -> u8 {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "exllm", &mut out);
    write_stdout(&out)
}

/// Prints the top-level manual page, or writes every page into `--out`.
pub fn man(args: ManArgs, cmd: clap::Command) -> u8 {
    let result = match &args.out {
        Some(dir) => std::fs::create_dir_all(dir)
            .and_then(|()| clap_mangen::generate_to(cmd, dir))
            .map(|()| eprintln!("exllm: wrote manual pages to {}", dir.display())),
        None => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(cmd).render(&mut page) {
                Ok(()) => return write_stdout(&page),
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("exllm: cannot write the manual: {e}");
            crate::EXIT_FAILURE
        }
    }
}

/// Writes bytes to stdout; a closed pipe is not an error worth reporting.
fn write_stdout(bytes: &[u8]) -> u8 {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(bytes).and_then(|()| stdout.flush());
    0
}
