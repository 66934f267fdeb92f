//! What the `*_flow` targets share: one honest run of a protocol between two fixture peers,
//! in which the fuzzer's bytes replace the message of one step; every message delivered is
//! recorded (the honest run's messages seed the corpus).

/// One run: which step's message the fuzzer replaces, if any, and every message delivered.
pub(crate) struct Script<'a> {
    fault: Option<(u8, &'a [u8])>,
    seen: Vec<Vec<u8>>,
}

impl<'a> Script<'a> {
    /// The honest run: every step delivers its honest message.
    pub(crate) fn honest() -> Self {
        Script {
            fault: None,
            seen: Vec::new(),
        }
    }

    /// The run of a `*_flow` target's input: its first byte picks one of `steps` steps,
    /// whose message is replaced by the rest of the input. `None` for an empty input.
    pub(crate) fn faulty(data: &'a [u8], steps: u8) -> Option<Self> {
        let (step, replacement) = data.split_first()?;
        Some(Script {
            fault: Some((step % steps, replacement)),
            seen: Vec::new(),
        })
    }

    /// The message of `step`: the honest one, or the fault's bytes; recorded as delivered.
    pub(crate) fn deliver(&mut self, step: u8, honest: Vec<u8>) -> Vec<u8> {
        let bytes = match self.fault {
            Some((s, bytes)) if s == step => bytes.to_vec(),
            _ => honest,
        };
        self.seen.push(bytes.clone());
        bytes
    }

    /// Every message delivered, in order.
    pub(crate) fn delivered(self) -> Vec<Vec<u8>> {
        self.seen
    }
}

/// The messages `run` delivers in the honest run, in order.
pub(crate) fn honest_messages(run: fn(&mut Script)) -> Vec<Vec<u8>> {
    let mut script = Script::honest();
    run(&mut script);
    script.delivered()
}

/// Runs `run` with the `*_flow` target's input `data` in place of one of its `steps`
/// messages ([`Script::faulty`]).
pub(crate) fn with_fault(data: &[u8], steps: u8, run: fn(&mut Script)) {
    if let Some(mut script) = Script::faulty(data, steps) {
        run(&mut script);
    }
}

/// Defines decoder targets: each decodes its input as one message type and checks what
/// [`crate::canonical::message`] checks.
macro_rules! decoder_targets {
    ($($(#[$doc:meta])* $name:ident: $ty:ty;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(data: &[u8]) {
                let _ = $crate::canonical::message::<$ty>(data);
            }
        )*
    };
}
pub(crate) use decoder_targets;
