//! `exllm chat -i` on a real terminal: the binary runs in a tmux pane (keys sent with
//! send-keys, the screen read with capture-pane) against a loopback server that echoes the
//! prompt and, for prompts containing "slow", keeps streaming for a long while, so Ctrl-C
//! during an answer can be seen. tmux is required: without it these tests fail.

use crate::support::{chat_chunk, chat_stop, exllm, last_user_text, serve, temp_dir, Reply};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A tmux server of this test's own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `argv` in a detached 150x50 pane that stays open after the program exits.
    fn start(name: &str, argv: &[&str]) -> Tmux {
        let t = Tmux {
            socket: format!("exllm-test-{name}-{}", std::process::id()),
        };
        // remain-on-exit is set before the session starts: a quick program may be done
        // before a later command could reach it.
        let mut args = vec!["-f", "/dev/null", "start-server", ";"];
        args.extend(["set-option", "-g", "remain-on-exit", "on", ";"]);
        args.extend([
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "150",
            "-y",
            "50",
            "--",
        ]);
        args.extend(argv);
        let out = t.run(&args);
        assert!(out.status.success(), "tmux new-session: {out:?}");
        t
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux must be installed to test `exllm chat -i` (apt-get install tmux)")
    }

    /// Presses keys (tmux key names such as `Enter`, `C-c`, `Left`).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend(keys);
        assert!(self.run(&args).status.success());
    }

    /// Types text as it is.
    fn type_text(&self, text: &str) {
        assert!(self
            .run(&["send-keys", "-t", "t", "-l", text])
            .status
            .success());
    }

    /// The pane's text, scrollback included; with `escapes`, its colour codes too.
    fn screen(&self, escapes: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", "t", "-S", "-500"];
        if escapes {
            args.push("-e");
        }
        String::from_utf8_lossy(&self.run(&args).stdout).into_owned()
    }

    /// Waits until the screen satisfies `ok` (20 s at most), and returns it.
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen(false);
            if ok(&s) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {what}; the screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the text shows up `times` times.
    fn wait_count(&self, text: &str, times: usize) -> String {
        self.wait_for(&format!("{times} x {text:?}"), |s| {
            s.matches(text).count() >= times
        })
    }

    /// Waits for an empty prompt on the last line.
    fn wait_prompt(&self) -> String {
        self.wait_for("the prompt", |s| last_line(s) == ">")
    }

    /// What the exit check sees, for failure messages.
    fn debug_status(&self) -> String {
        let text = self.pane_status();
        let pid = text.split_whitespace().next().unwrap_or("").to_owned();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        format!("tmux said {text:?}; stat {stat:?}")
    }

    /// `pane_pid pane_dead pane_dead_status`, as tmux reports them.
    fn pane_status(&self) -> String {
        let out = self.run(&[
            "display-message",
            "-p",
            "-t",
            "t",
            "#{pane_pid} #{pane_dead} #{pane_dead_status}",
        ]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The exit status once the program has ended. A busy tmux can take seconds to reap
    /// its pane's process, so an exited one is also seen as a zombie, whose wait status
    /// Linux keeps in the last field of /proc/PID/stat.
    fn exit_status(&self) -> Option<i32> {
        let text = self.pane_status();
        let mut words = text.split_whitespace();
        let (pid, dead, status) = (words.next()?, words.next()?, words.next());
        // tmux may mark the pane dead before it has the wait status: then ask the kernel.
        if let Some(code) = status.filter(|_| dead == "1").and_then(|s| s.parse().ok()) {
            return Some(code);
        }
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        if fields.first() != Some(&"Z") {
            return None;
        }
        let wait_status: i32 = fields.last()?.parse().ok()?;
        Some((wait_status >> 8) & 0xff)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn last_line(screen: &str) -> &str {
    screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}

/// Echoes the prompt as "you said: ..."; a prompt with "slow" in it then streams dots for a
/// minute.
fn echo_server() -> String {
    serve(20, |body| {
        let text = last_user_text(body);
        let mut events = vec![chat_chunk(&format!("you said: {text}"))];
        if text.contains("slow") {
            events.extend((0..600).map(|_| chat_chunk(" .")));
        }
        events.push(chat_stop());
        Reply::sse(&events, Duration::from_millis(100))
    })
}

/// `env -i` with exactly these variables, then the binary: the pane gets no variable of
/// the test's environment.
fn argv<'a>(vars: &'a [String], args: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["env", "-i"];
    v.extend(vars.iter().map(String::as_str));
    v.push(env!("CARGO_BIN_EXE_exllm"));
    v.extend(args);
    v
}

fn vars(home: &Path, extra: &[(&str, &str)]) -> Vec<String> {
    let mut v = vec![
        format!("HOME={}", home.display()),
        "TERM=screen".to_owned(),
        format!("EXLLM_SESSIONS_DIR={}", home.join("sessions").display()),
    ];
    v.extend(extra.iter().map(|(k, val)| format!("{k}={val}")));
    v
}

#[test]
fn the_repl_edits_lines_keeps_history_and_survives_ctrl_c() {
    let home = temp_dir("repl-tty");
    let history = home.join("hist");
    let url = format!("{}/v1", echo_server());
    let vars = vars(
        &home,
        &[
            ("OPENAI_API_KEY", "test-key"),
            ("EXLLM_HISTORY", history.to_str().unwrap()),
        ],
    );
    let args = [
        "chat",
        "-i",
        "--session",
        "tty",
        "-m",
        "openai/gpt-4o-mini",
        "--base-url",
        &url,
    ];
    let tmux = Tmux::start("repl", &argv(&vars, &args));
    tmux.wait_for("the banner", |s| {
        s.contains("chatting with openai/gpt-4o-mini")
    });
    tmux.wait_prompt();

    // Line editing: the cursor moves back into the line and a letter goes in there.
    tmux.type_text("wrld");
    tmux.keys(&["Left", "Left", "Left"]);
    tmux.type_text("o");
    tmux.keys(&["Enter"]);
    tmux.wait_count("you said: world", 1);
    tmux.wait_prompt();
    // History: Up brings the last entry back.
    tmux.keys(&["Up", "Enter"]);
    tmux.wait_count("you said: world", 2);
    tmux.wait_prompt();

    // Multi-line entries: a trailing backslash, and a """ block.
    tmux.type_text("first\\");
    tmux.keys(&["Enter"]);
    tmux.type_text("second");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the joined entry", |s| {
        s.contains("you said: first\nsecond")
    });
    tmux.wait_prompt();
    for line in ["\"\"\"", "alpha", "beta \\", "\"\"\""] {
        tmux.type_text(line);
        tmux.keys(&["Enter"]);
    }
    tmux.wait_for("the block", |s| s.contains("you said: alpha\nbeta \\"));
    tmux.wait_prompt();

    // Ctrl-C while the answer streams stops it and returns to the prompt.
    tmux.type_text("slow please");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the slow answer", |s| {
        s.contains("you said: slow please . .")
    });
    tmux.keys(&["C-c"]);
    tmux.wait_for("the stop", |s| s.contains("exllm: stopped"));
    let stopped = tmux.wait_prompt();
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(
        tmux.screen(false).trim_end(),
        stopped.trim_end(),
        "the answer went on after Ctrl-C"
    );
    assert_eq!(tmux.exit_status(), None, "Ctrl-C ended the program");

    // Ctrl-C at the prompt drops the typed text and does not exit.
    tmux.type_text("never sent");
    tmux.keys(&["C-c"]);
    tmux.keys(&["C-c"]);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        tmux.exit_status(),
        None,
        "Ctrl-C at the prompt ended the program"
    );
    tmux.type_text("after");
    tmux.keys(&["Enter"]);
    tmux.wait_count("you said: after", 1);
    tmux.wait_prompt();
    assert!(!tmux.screen(false).contains("you said: never sent"));

    // Ctrl-D quits, successfully.
    tmux.keys(&["C-d"]);
    let start = Instant::now();
    while tmux.exit_status().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "Ctrl-D did not quit ({}):\n{}",
            tmux.debug_status(),
            tmux.screen(false)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(tmux.exit_status(), Some(0));

    let kept = std::fs::read_to_string(&history).unwrap();
    for entry in ["world", "slow please", "after"] {
        assert!(kept.contains(entry), "{entry} not in the history:\n{kept}");
    }
    assert!(!kept.contains("never sent"), "{kept}");
    // The stopped turn is not in the saved conversation; the others are.
    let out = exllm(&home)
        .env("EXLLM_SESSIONS_DIR", home.join("sessions"))
        .args(["session", "show", "tty", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let users: Vec<&str> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "user")
        .map(|m| m["content"][0]["text"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        users,
        ["world", "world", "first\nsecond", "alpha\nbeta \\", "after"]
    );
}

#[test]
fn log_colour_follows_the_terminal_and_no_color() {
    let home = temp_dir("colour");
    let esc = |extra: &[(&str, &str)], name: &str| {
        let vars = vars(&home, extra);
        let tmux = Tmux::start(name, &argv(&vars, &["-v", "chat", "-m", "mock/echo", "hi"]));
        tmux.wait_for("the log line", |s| s.contains("INFO"));
        tmux.screen(true).contains('\u{1b}')
    };
    assert!(esc(&[], "colour-on"), "a terminal gets coloured logs");
    assert!(
        !esc(&[("NO_COLOR", "1")], "colour-off"),
        "NO_COLOR is ignored"
    );
}
