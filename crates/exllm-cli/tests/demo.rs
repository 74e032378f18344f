//! `exllm demo` driven as a person would: in a real terminal (a tmux pane on a private tmux
//! server), keys sent with `send-keys`, the screen read with `capture-pane`.

use crate::support::temp_dir;
use std::process::Command;
use std::time::{Duration, Instant};

/// A private tmux server running one command; killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str, command: &str) -> Tmux {
        let socket = format!("exllm-{name}-{}", std::process::id());
        let t = Tmux { socket };
        t.run(&[
            "new-session",
            "-d",
            "-s",
            "demo",
            "-x",
            "120",
            "-y",
            "50",
            command,
        ]);
        t
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux is installed");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "demo"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-J", "-S", "-2000", "-t", "demo"])
    }

    /// Waits until the screen shows `text`; the screen.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "no `{text}` on the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

#[test]
fn the_demo_menu_walks_through_every_feature_and_quits() {
    let home = temp_dir("demo");
    let command = format!(
        "env -u OPENAI_API_KEY -u ANTHROPIC_API_KEY -u EXLLM_MODEL HOME={} {} demo; echo DEMO-EXIT=$?; sleep 60",
        home.display(),
        env!("CARGO_BIN_EXE_exllm")
    );
    let tmux = Tmux::start("demo", &command);
    tmux.wait_for("Pick a feature");
    // The prompt is drawn before the items: wait for the last one.
    let menu = tmux.wait_for("Quit");
    for item in [
        "Chat",
        "Streaming",
        "Tools",
        "Structured output",
        "Cost",
        "Guardrails",
        "Quit",
    ] {
        assert!(menu.contains(item), "{item} missing from the menu:\n{menu}");
    }
    // After a step the cursor moves to the next one, so Enter walks the menu in order.
    let expected = [
        "answer: Hello, exllm!",
        "answer: Tokens arrive one by one.",
        "answer: It is 24 °C and sunny in Lisbon.",
        "value: City { name: \"Kyoto\", country: \"Japan\" }",
        "openai/gpt-4o-mini: 10k in + 1k out = $",
        "messages -> ",
        "provider saw: Call me at <EMAIL_1>",
        "session: 4 messages, 2 turns",
        "cache: 1 hit(s), 1 miss(es); the model was asked 1 time(s)",
        "router: answered by the backup after 2 attempt(s)",
    ];
    for want in expected {
        tmux.keys(&["Enter"]);
        tmux.wait_for(want);
    }
    let screen = tmux.screen();
    assert!(
        screen.contains("tool call: weather({\"city\":\"Lisbon\"})"),
        "{screen}"
    );
    assert!(
        screen.contains("you got:      Call me at ann@example.com"),
        "{screen}"
    );
    // After the last step the cursor is on Quit; Enter there ends the demo.
    tmux.keys(&["Enter"]);
    tmux.wait_for("DEMO-EXIT=0");
}

#[test]
fn the_demo_can_be_left_with_escape_and_needs_a_terminal() {
    let home = temp_dir("demo-esc");
    let command = format!(
        "HOME={} {} demo; echo DEMO-EXIT=$?; sleep 60",
        home.display(),
        env!("CARGO_BIN_EXE_exllm")
    );
    let tmux = Tmux::start("demo-esc", &command);
    tmux.wait_for("Pick a feature");
    tmux.keys(&["Down", "Down", "Escape"]);
    tmux.wait_for("DEMO-EXIT=0");
    // Without a terminal it says so instead of hanging.
    let out = crate::support::exllm(&home)
        .arg("demo")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("interactive terminal"));
}
