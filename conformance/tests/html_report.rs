//! The HTML report in a real browser: Debian's chromium, headless, driven over the DevTools
//! protocol (a small client on tungstenite). The page renders without console errors or
//! exceptions and fetches nothing from the network, the counts it shows equal the JSON
//! report's, and the verdict and group filters show exactly the matching cases.
//!
//! Chromium is required: `scripts/test-all` installs it (`scripts/install-chromium`); set
//! `ORBIT_CHROMIUM` to use another binary. Without one this test fails and says so.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use orbit_conformance::report;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Longest the browser may take to start or answer (a bound against hangs, not a timing
/// assertion).
const PATIENCE: Duration = Duration::from_secs(90);

fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("ORBIT_CHROMIUM") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "chromium is not installed, so the HTML report cannot be checked in a browser: \
         run scripts/install-chromium (apt-get install -y chromium), or set ORBIT_CHROMIUM"
    );
}

struct Browser {
    child: Child,
    profile: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Starts headless chromium with a fresh profile; returns it and its DevTools websocket URL.
fn launch(scratch: &Path) -> (Browser, String) {
    let profile = scratch.join("profile");
    std::fs::create_dir_all(&profile).unwrap();
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-background-networking",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start chromium: {e}"));
    let stderr = child.stderr.take().unwrap();
    let (send, recv) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let (false, Some(at)) = (sent, line.find("ws://")) {
                let _ = send.send(line[at..].trim().to_owned());
                sent = true;
            }
        }
    });
    let browser = Browser { child, profile };
    let url = recv
        .recv_timeout(PATIENCE)
        .expect("chromium did not print its DevTools address");
    (browser, url)
}

/// A DevTools protocol connection (flat sessions).
struct Cdp {
    ws: tungstenite::WebSocket<TcpStream>,
    next: u64,
    events: Vec<Value>,
}

impl Cdp {
    fn connect(url: &str) -> Self {
        let host = url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let stream = TcpStream::connect(&host).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let (ws, _) = tungstenite::client(url, stream).unwrap();
        Self {
            ws,
            next: 1,
            events: Vec::new(),
        }
    }

    fn read(&mut self) -> Value {
        loop {
            match self.ws.read().unwrap() {
                tungstenite::Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
                tungstenite::Message::Close(_) => panic!("chromium closed the DevTools socket"),
                _ => {}
            }
        }
    }

    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = s.into();
        }
        self.ws
            .send(tungstenite::Message::Text(msg.to_string().into()))
            .unwrap();
        loop {
            let v = self.read();
            if v["id"] == id {
                assert!(v["error"].is_null(), "{method}: {}", v["error"]);
                return v["result"].clone();
            }
            self.events.push(v);
        }
    }

    fn wait_for(&mut self, method: &str) {
        if self.events.iter().any(|e| e["method"] == method) {
            return;
        }
        loop {
            let v = self.read();
            let done = v["method"] == method;
            self.events.push(v);
            if done {
                return;
            }
        }
    }

    /// Evaluates `expr` in the page and returns its value.
    fn eval(&mut self, session: &str, expr: &str) -> Value {
        let r = self.call(
            Some(session),
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true}),
        );
        assert!(
            r["exceptionDetails"].is_null(),
            "{expr}: {}",
            r["exceptionDetails"]
        );
        r["result"]["value"].clone()
    }

    /// Console errors, uncaught exceptions, error log entries and network requests for
    /// anything but the file itself.
    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.events {
            let p = &e["params"];
            match e["method"].as_str().unwrap_or("") {
                "Runtime.exceptionThrown" => {
                    out.push(format!("exception: {}", p["exceptionDetails"]))
                }
                "Runtime.consoleAPICalled"
                    if matches!(p["type"].as_str(), Some("error" | "assert" | "warning")) =>
                {
                    out.push(format!("console {}: {}", p["type"], p["args"]))
                }
                "Log.entryAdded"
                    if matches!(p["entry"]["level"].as_str(), Some("error" | "warning")) =>
                {
                    out.push(format!("log: {}", p["entry"]))
                }
                "Network.requestWillBeSent" => {
                    let url = p["request"]["url"].as_str().unwrap_or("");
                    if !url.starts_with("file://") {
                        out.push(format!("network request: {url}"));
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// Shows only `verdicts` in `group` ("" for all) through the page's own controls and returns
/// the IDs of the cases then visible and the "shown" figure.
fn filter(cdp: &mut Cdp, session: &str, verdicts: &[&str], group: &str) -> (Vec<String>, u64) {
    let expr = format!(
        r#"(function () {{
            var want = {};
            document.querySelectorAll('input.f-verdict').forEach(function (b) {{
              var on = want.indexOf(b.value) >= 0;
              if (b.checked !== on) {{ b.click(); }}
            }});
            var g = document.getElementById('f-group');
            g.value = {};
            g.dispatchEvent(new Event('change'));
            var visible = [];
            document.querySelectorAll('tbody.case').forEach(function (c) {{
              if (c.offsetParent !== null) {{ visible.push(c.id.slice(5)); }}
            }});
            return {{visible: visible, shown: Number(document.getElementById('shown').getAttribute('data-shown'))}};
        }})()"#,
        serde_json::to_string(verdicts).unwrap(),
        serde_json::to_string(group).unwrap()
    );
    let v = cdp.eval(session, &expr);
    let ids = v["visible"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    (ids, v["shown"].as_u64().unwrap())
}

fn ids_where(json: &Value, f: impl Fn(&Value) -> bool) -> Vec<String> {
    json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| f(c))
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_renders_in_chromium_with_the_json_counts_and_working_filters() {
    let dir = common::scratch("html");
    let real = common::real_report(&dir).await;
    let mixed = common::mixed(&real);
    let out = dir.join("report");
    report::write_all(&mixed, &out).unwrap();
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(report::JSON_FILE)).unwrap())
            .unwrap();
    let page = out.join(report::HTML_FILE).canonicalize().unwrap();

    let started = Instant::now();
    let (browser, url) = launch(&dir);
    let mut cdp = Cdp::connect(&url);
    let target = cdp.call(None, "Target.createTarget", json!({"url": "about:blank"}));
    let attached = cdp.call(
        None,
        "Target.attachToTarget",
        json!({"targetId": target["targetId"], "flatten": true}),
    );
    let session = attached["sessionId"].as_str().unwrap().to_owned();
    for domain in [
        "Runtime.enable",
        "Log.enable",
        "Page.enable",
        "Network.enable",
    ] {
        cdp.call(Some(&session), domain, json!({}));
    }
    cdp.call(
        Some(&session),
        "Page.navigate",
        json!({"url": format!("file://{}", page.display())}),
    );
    cdp.wait_for("Page.loadEventFired");

    // The counts the page shows are the JSON's.
    for key in [
        "total",
        "pass",
        "fail_must",
        "fail_should",
        "not_applicable",
        "inconclusive",
        "waived",
    ] {
        let shown = cdp.eval(
            &session,
            &format!("document.getElementById('count-{key}').textContent.trim()"),
        );
        assert_eq!(
            shown.as_str().unwrap(),
            json["summary"][key].to_string(),
            "{key}"
        );
    }
    let rows = cdp.eval(&session, "document.querySelectorAll('tbody.case').length");
    assert_eq!(rows, json["cases"].as_array().unwrap().len());
    let stamp = cdp.eval(&session, "document.getElementById('stamp').textContent");
    let stamp = stamp.as_str().unwrap();
    for field in [
        &json["stamp"]["seed"],
        &json["stamp"]["target"],
        &json["stamp"]["device"]["serial"],
    ] {
        let text = field
            .as_str()
            .map_or_else(|| field.to_string(), str::to_owned);
        assert!(stamp.contains(&text), "the stamp shows {text}: {stamp}");
    }
    let coverage_rows = cdp.eval(
        &session,
        "document.querySelectorAll('#coverage-table tr.rule').length",
    );
    assert!(coverage_rows.as_u64().unwrap() > 100, "{coverage_rows}");

    // Filters: each verdict alone, a group alone, both, and a summary link.
    let all_groups: Vec<String> = ids_where(&json, |_| true);
    for verdict in ["PASS", "FAIL", "NOT-APPLICABLE", "INCONCLUSIVE", "WAIVED"] {
        let (visible, shown) = filter(&mut cdp, &session, &[verdict], "");
        let want = ids_where(&json, |c| c["verdict"] == verdict);
        assert!(!want.is_empty(), "the sample report has a {verdict} case");
        assert_eq!(visible, want, "{verdict}");
        assert_eq!(shown, want.len() as u64);
    }
    let every = ["PASS", "FAIL", "NOT-APPLICABLE", "INCONCLUSIVE", "WAIVED"];
    let group = json["cases"][0]["group"].as_str().unwrap().to_owned();
    let (visible, _) = filter(&mut cdp, &session, &every, &group);
    assert_eq!(visible, ids_where(&json, |c| c["group"] == group.as_str()));
    let (visible, _) = filter(&mut cdp, &session, &["FAIL", "WAIVED"], &group);
    assert_eq!(
        visible,
        ids_where(&json, |c| c["group"] == group.as_str()
            && matches!(c["verdict"].as_str(), Some("FAIL" | "WAIVED")))
    );
    let (visible, _) = filter(&mut cdp, &session, &every, "");
    assert_eq!(visible, all_groups);
    let clicked = cdp.eval(
        &session,
        r#"(function () {
            var a = document.querySelector('a.only-verdict[data-verdict="WAIVED"]');
            a.click();
            return {group: a.getAttribute('data-group'),
                    shown: Number(document.getElementById('shown').getAttribute('data-shown'))};
        })()"#,
    );
    let link_group = clicked["group"].as_str().unwrap();
    let want = ids_where(&json, |c| {
        c["verdict"] == "WAIVED" && c["group"] == link_group
    });
    assert_eq!(clicked["shown"], want.len() as u64);

    // The evidence of a failed case is there, decoded and in hex, and escaped.
    let failed = ids_where(&json, |c| c["verdict"] == "FAIL" && c["level"] == "MUST");
    let evidence = cdp.eval(
        &session,
        &format!(
            "document.getElementById({}).querySelector('table.ev').textContent",
            serde_json::to_string(&format!("case-{}", failed[0])).unwrap()
        ),
    );
    let evidence = evidence.as_str().unwrap();
    assert!(evidence.contains("a1016161"), "{evidence}");
    assert!(
        evidence.contains("</script><script>alert(1)</script>"),
        "shown as text"
    );
    let injected = cdp.eval(&session, "document.querySelectorAll('script').length");
    assert_eq!(injected, 1, "evidence never becomes markup");

    let problems = cdp.problems();
    assert!(problems.is_empty(), "{problems:#?}");
    let _ = cdp.call(None, "Browser.close", json!({}));
    drop(browser);
    println!(
        "chromium: started, rendered and checked the report in {} ms",
        started.elapsed().as_millis()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
