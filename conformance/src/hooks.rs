//! Operator steps a real device needs between cases (factory reset, open its pairing window,
//! press its button, power-cycle it). Each is a command the suite runs, an interactive prompt
//! with a timeout, or (for library users) a function. A step without a hook makes the cases
//! that need it NOT-APPLICABLE with that reason; never a silent hang.

use crate::transport::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

/// An operator step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// Factory-reset the device: no homes, pairing window open, attempt counters cleared.
    FactoryReset,
    /// Open the device's pairing window locally (a local user action).
    OpenWindow,
    /// Press the device's pairing button (ends a pairing lock-out, `[PAIR-31]`).
    Button,
    /// Power-cycle the device (what it stored must survive).
    PowerCycle,
}

impl Step {
    /// The step's name, as in `--reset-cmd`, `--open-window-cmd`, `--button-cmd`,
    /// `--power-cycle-cmd`.
    pub fn name(self) -> &'static str {
        match self {
            Step::FactoryReset => "reset",
            Step::OpenWindow => "open-window",
            Step::Button => "button",
            Step::PowerCycle => "power-cycle",
        }
    }

    fn instruction(self) -> &'static str {
        match self {
            Step::FactoryReset => "factory-reset the device",
            Step::OpenWindow => "open the device's pairing window",
            Step::Button => "press the device's pairing button",
            Step::PowerCycle => "power-cycle the device (off, then on)",
        }
    }
}

/// A function hook, for library users.
pub type HookFn = Arc<dyn Fn(Step) -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// How one step is carried out.
#[derive(Clone)]
pub enum Hook {
    /// A shell command (`sh -c`); success is exit status 0.
    Command(String),
    /// Ask the operator on the terminal and wait for Enter, at most the prompt timeout.
    Prompt,
    /// A function.
    Function(HookFn),
}

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Hook::Command(c) => write!(f, "Command({c:?})"),
            Hook::Prompt => f.write_str("Prompt"),
            Hook::Function(_) => f.write_str("Function"),
        }
    }
}

/// The hooks of a run.
#[derive(Clone, Debug, Default)]
pub struct Hooks {
    /// One hook per step that has one.
    pub steps: Vec<(Step, Hook)>,
    /// How long a command or prompt may take.
    pub timeout: Option<Duration>,
    /// How long the device may take to be reachable again after the step.
    pub settle: Option<Duration>,
}

/// Default time a hook may take.
pub const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(120);

impl Hooks {
    /// Whether `step` has a hook.
    pub fn has(&self, step: Step) -> bool {
        self.steps.iter().any(|(s, _)| *s == step)
    }

    /// Carries out `step`: `Err` says why it could not be (no hook, the command failed or
    /// timed out, the operator did not answer in time).
    pub async fn run(&self, step: Step) -> Result<(), String> {
        let Some((_, hook)) = self.steps.iter().find(|(s, _)| *s == step) else {
            return Err(format!(
                "no hook to {} (give --{}-cmd or --prompt)",
                step.instruction(),
                step.name()
            ));
        };
        let limit = self.timeout.unwrap_or(DEFAULT_HOOK_TIMEOUT);
        let run = async {
            match hook {
                Hook::Command(cmd) => run_command(cmd).await,
                Hook::Prompt => prompt(step).await,
                Hook::Function(f) => f(step).await,
            }
        };
        match tokio::time::timeout(limit, run).await {
            Ok(r) => r,
            Err(_) => Err(format!(
                "the hook to {} did not finish within {} s",
                step.instruction(),
                limit.as_secs()
            )),
        }
    }
}

async fn run_command(cmd: &str) -> Result<(), String> {
    let status = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .status()
        .await
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed ({status})"))
    }
}

async fn prompt(step: Step) -> Result<(), String> {
    eprintln!("\n>>> {}, then press Enter", step.instruction());
    let line = tokio::task::spawn_blocking(|| {
        let mut s = String::new();
        std::io::stdin().read_line(&mut s).map(|n| n > 0)
    })
    .await
    .map_err(|e| e.to_string())?;
    match line {
        Ok(true) => Ok(()),
        Ok(false) => Err("stdin closed: nobody to carry out the step".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn a_missing_hook_a_failing_command_and_a_slow_one_each_say_why() {
        let hooks = Hooks {
            steps: vec![
                (Step::FactoryReset, Hook::Command("exit 3".into())),
                (Step::Button, Hook::Command("sleep 5".into())),
                (Step::OpenWindow, Hook::Command("true".into())),
            ],
            timeout: Some(Duration::from_millis(300)),
            settle: None,
        };
        assert!(hooks
            .run(Step::PowerCycle)
            .await
            .unwrap_err()
            .contains("--power-cycle-cmd"));
        assert!(hooks
            .run(Step::FactoryReset)
            .await
            .unwrap_err()
            .contains("failed"));
        assert!(hooks
            .run(Step::Button)
            .await
            .unwrap_err()
            .contains("did not finish"));
        hooks.run(Step::OpenWindow).await.unwrap();
    }
}
