//! Ordering streamed tool calls for formats that show one call at a time (Anthropic blocks,
//! Responses items). Backends stream calls by index and may start a second call before the
//! first has ended (OpenAI Chat Completions never says a call ended; a backend may even
//! interleave fragments). One call is shown open; the others wait with their fragments kept,
//! and are shown in order once the open one has ended: explicitly, because its arguments are
//! already a whole JSON value when another call needs the stage, or because the answer moves
//! on. No fragment is lost and none lands in a call that was already closed.

/// Where a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Not shown yet.
    Waiting,
    /// Shown and receiving fragments.
    Open,
    /// Shown and closed.
    Closed,
}

/// One streamed call.
#[derive(Debug)]
pub(crate) struct Call {
    /// The backend's index.
    pub(crate) key: u32,
    pub(crate) id: String,
    pub(crate) name: String,
    /// All argument text so far.
    pub(crate) args: String,
    pub(crate) state: State,
    ended: bool,
}

/// What the format must emit, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Show call `i` (of [`Calls::get`]) with the arguments it has so far.
    Open(usize),
    /// Call `i`, which is open, got the argument text from byte `from` on.
    Delta(usize, usize),
    /// Close call `i`.
    Close(usize),
}

/// The calls of one answer.
#[derive(Debug, Default)]
pub(crate) struct Calls {
    calls: Vec<Call>,
    open: Option<usize>,
}

impl Calls {
    pub(crate) fn get(&self, i: usize) -> &Call {
        &self.calls[i]
    }

    /// Mutable access to call `i` (formats make up a missing id when they show it).
    pub(crate) fn get_mut(&mut self, i: usize) -> &mut Call {
        &mut self.calls[i]
    }

    /// Whether any call was streamed.
    pub(crate) fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// Whether a call is open or waiting.
    pub(crate) fn pending(&self) -> bool {
        self.calls.iter().any(|c| c.state != State::Closed)
    }

    fn find(&mut self, key: u32) -> usize {
        if let Some(i) = self.calls.iter().position(|c| c.key == key) {
            return i;
        }
        self.calls.push(Call {
            key,
            id: String::new(),
            name: String::new(),
            args: String::new(),
            state: State::Waiting,
            ended: false,
        });
        self.calls.len() - 1
    }

    /// A call starts, or fills in its id or name.
    pub(crate) fn start(
        &mut self,
        key: u32,
        id: &str,
        name: &str,
        act: &mut dyn FnMut(Action, &mut Calls),
    ) {
        let i = self.find(key);
        let c = &mut self.calls[i];
        if c.id.is_empty() {
            c.id = id.to_owned();
        }
        if c.name.is_empty() {
            c.name = name.to_owned();
        }
        self.advance(false, act);
    }

    /// A fragment of a call's arguments.
    pub(crate) fn delta(&mut self, key: u32, text: &str, act: &mut dyn FnMut(Action, &mut Calls)) {
        let i = self.find(key);
        let c = &mut self.calls[i];
        // A fragment after the call was closed could only be trailing whitespace after
        // whole JSON (how a call is judged ended early): nothing to show.
        if c.state == State::Closed {
            return;
        }
        let from = c.args.len();
        c.args.push_str(text);
        if c.state == State::Open {
            act(Action::Delta(i, from), self);
        } else {
            self.advance(false, act);
        }
    }

    /// A call's arguments are complete.
    pub(crate) fn end(&mut self, key: u32, act: &mut dyn FnMut(Action, &mut Calls)) {
        let i = self.find(key);
        self.calls[i].ended = true;
        self.advance(false, act);
    }

    /// The answer moves on to something else (or ends): every call is shown and closed.
    pub(crate) fn flush(&mut self, act: &mut dyn FnMut(Action, &mut Calls)) {
        if self.pending() {
            self.calls.iter_mut().for_each(|c| c.ended = true);
            self.advance(true, act);
        }
    }

    /// Closes the open call once it has ended, then shows waiting calls in order (only named
    /// ones unless `force`), closing those that ended already.
    fn advance(&mut self, force: bool, act: &mut dyn FnMut(Action, &mut Calls)) {
        loop {
            let waiting = self.calls.iter().position(|c| c.state == State::Waiting);
            if let Some(i) = self.open {
                let c = &self.calls[i];
                // Another call wants the stage and this one's arguments are whole already.
                let done = c.ended
                    || (waiting.is_some()
                        && serde_json::from_str::<serde::de::IgnoredAny>(&c.args).is_ok());
                if !done {
                    return;
                }
                self.calls[i].state = State::Closed;
                self.open = None;
                act(Action::Close(i), self);
            }
            let Some(i) = waiting else { return };
            if !force && self.calls[i].name.is_empty() {
                return;
            }
            self.calls[i].state = State::Open;
            self.open = Some(i);
            act(Action::Open(i), self);
        }
    }
}
