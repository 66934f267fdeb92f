//! Setup codes given without putting them on the command line, where every local user can
//! read them (`ps`, `/proc/<pid>/cmdline`): `-` reads one line from stdin, and
//! `--setup-code-file` reads a file.

use std::io::{BufRead, Read};
use std::path::Path;

/// The longest setup code input accepted (a QR string is about 20 characters).
const MAX_CODE_INPUT: u64 = 256;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The first line of `text`, trimmed; refused if empty.
fn first_line(text: &str, from: &str) -> Result<String, Error> {
    let code = text.lines().next().unwrap_or("").trim();
    if code.is_empty() {
        return Err(format!("no setup code in {from}").into());
    }
    Ok(code.to_owned())
}

/// The setup code from the argument (`-` for stdin) or the file; exactly one of them.
pub(crate) fn setup_code(arg: Option<&str>, file: Option<&Path>) -> Result<String, Error> {
    match (arg, file) {
        (Some(_), Some(_)) => {
            Err("give the setup code as an argument or with --setup-code-file, not both".into())
        }
        (None, None) => Err(
            "no setup code: give it as an argument, `-` to read it from stdin, or \
             --setup-code-file FILE"
                .into(),
        ),
        (Some("-"), None) => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .take(MAX_CODE_INPUT)
                .read_line(&mut line)?;
            first_line(&line, "stdin")
        }
        (Some(code), None) => Ok(code.to_owned()),
        (None, Some(path)) => {
            let meta = std::fs::metadata(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            if meta.len() > MAX_CODE_INPUT {
                return Err(format!(
                    "{} is {} bytes; a setup code file holds one code (at most {MAX_CODE_INPUT} bytes)",
                    path.display(),
                    meta.len()
                )
                .into());
            }
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            first_line(&text, &path.display().to_string())
        }
    }
}
