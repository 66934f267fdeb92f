//! The reference device's control socket: `orbit device run --control PATH` listens on a Unix
//! socket for the same local controls as its stdin (`button`, `status`, `reset`,
//! `power-cycle`), one line per connection, answered with one JSON line; `orbit device control
//! PATH CMD` sends one. So an unattended harness (the conformance suite's `--button-cmd`,
//! `--reset-cmd`, `--power-cycle-cmd`) can carry out the operator's steps.

use crate::CliResult;
use orbit_cli::output::Format;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};

/// The longest control line read (the commands are single words).
const MAX_LINE: u64 = 256;

/// The longest answer read by `orbit device control`.
const MAX_ANSWER: u64 = 64 * 1024;

/// How long `orbit device control` waits for the answer (a factory reset restarts the device).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// A control line and where its JSON answer goes.
pub(crate) type Request = (String, oneshot::Sender<serde_json::Value>);

/// The listening control socket; the file is removed when dropped.
pub(crate) struct ControlSocket {
    path: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Listens on `path` (owner-only access: the controls are a local user's) and forwards each
/// connection's line to the returned channel. A live socket at `path` is refused; a stale one
/// (nobody listening) is replaced; any other file there is refused.
pub(crate) async fn listen(
    path: &Path,
) -> Result<(ControlSocket, mpsc::Receiver<Request>), Box<dyn std::error::Error + Send + Sync>> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(format!("{} exists and is not a socket", path.display()).into());
        }
        if UnixStream::connect(path).await.is_ok() {
            return Err(format!("another device listens on {}", path.display()).into());
        }
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)
        .map_err(|e| format!("cannot listen on {}: {e}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    let (send, recv) = mpsc::channel(4);
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let send = send.clone();
            tokio::spawn(serve(stream, send));
        }
    });
    Ok((
        ControlSocket {
            path: path.to_owned(),
            task,
        },
        recv,
    ))
}

async fn serve(stream: UnixStream, send: mpsc::Sender<Request>) {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let read = BufReader::new(read.take(MAX_LINE))
        .read_line(&mut line)
        .await;
    let answer = match read {
        Ok(_) => {
            let (reply, answer) = oneshot::channel();
            if send.send((line.trim().to_owned(), reply)).await.is_err() {
                return;
            }
            match answer.await {
                Ok(a) => a,
                Err(_) => return,
            }
        }
        Err(e) => {
            serde_json::json!({"ok": false, "error": format!("cannot read the control: {e}")})
        }
    };
    let _ = write.write_all(format!("{answer}\n").as_bytes()).await;
    let _ = write.shutdown().await;
}

/// `orbit device control PATH CMD`: sends one control and prints the device's answer; an
/// answer with `"ok": false` is an error.
pub(crate) async fn send(path: &Path, command: &str, format: Format) -> CliResult {
    if command.contains('\n') || command.trim().is_empty() {
        return Err("a device control is one word: button, status, reset or power-cycle".into());
    }
    let exchange = async {
        let mut stream = UnixStream::connect(path).await.map_err(|e| {
            format!(
                "cannot reach the device's control socket {}: {e}",
                path.display()
            )
        })?;
        stream
            .write_all(format!("{command}\n").as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut answer = String::new();
        stream
            .take(MAX_ANSWER)
            .read_to_string(&mut answer)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<String, String>(answer)
    };
    let answer = tokio::time::timeout(ANSWER_TIMEOUT, exchange)
        .await
        .map_err(|_| {
            format!(
                "the device did not answer within {} s",
                ANSWER_TIMEOUT.as_secs()
            )
        })??;
    let value: serde_json::Value = serde_json::from_str(answer.trim())
        .map_err(|_| "the device closed the control socket without an answer".to_owned())?;
    let field = |k: &str| value.get(k).cloned().unwrap_or(serde_json::Value::Null);
    if field("ok") != serde_json::Value::Bool(true) {
        let why = field("error").as_str().unwrap_or("refused").to_owned();
        return Err(format!("the device refused {command:?}: {why}").into());
    }
    match format {
        Format::Json => println!("{value}"),
        Format::Human => println!(
            "{}: pairing window {}, {} failed pairing attempt(s){}, {} home(s)",
            field("event").as_str().unwrap_or(command),
            if field("pairing_window_open") == true {
                "open"
            } else {
                "closed"
            },
            field("failed_pairing_attempts"),
            if field("pairing_locked_out") == true {
                ", locked out"
            } else {
                ""
            },
            field("homes")
        ),
    }
    Ok(())
}
