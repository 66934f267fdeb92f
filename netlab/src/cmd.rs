//! Running `ip`, `nft`, `tc` and `sysctl` with a time bound on each.

use crate::error::LabError;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The longest any one configuration command may take.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `program args...`, feeding `stdin` if given, and returns its stdout. Fails on a
/// non-zero exit (with its stderr) or after [`COMMAND_TIMEOUT`] (the command is killed).
pub fn run(program: &str, args: &[&str], stdin: Option<&str>) -> Result<String, LabError> {
    let line = format!("{program} {}", args.join(" "));
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| LabError::io(format!("starting `{line}`"), e))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())
            .map_err(|e| LabError::io(format!("writing to `{line}`"), e))?;
    }
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > COMMAND_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(LabError::Timeout {
                    what: format!("`{line}`"),
                    limit: COMMAND_TIMEOUT,
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(LabError::io(format!("waiting for `{line}`"), e)),
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|e| LabError::io(format!("reading `{line}`"), e))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(LabError::Command {
            command: line,
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

/// `ip args...`.
pub fn ip(args: &[&str]) -> Result<String, LabError> {
    run("ip", args, None)
}

/// `ip netns exec NS program args...`.
pub fn in_ns(
    ns: &str,
    program: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> Result<String, LabError> {
    let mut all = vec!["netns", "exec", ns, program];
    all.extend_from_slice(args);
    run("ip", &all, stdin)
}

/// Whether `program` is on PATH.
pub fn have(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}
