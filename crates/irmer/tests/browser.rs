//! End to end in a real browser: headless Chromium driven over WebDriver
//! (chromedriver), against the real `irmer serve` on a fresh register. It
//! does what a newcomer does: signs in with the printed one-time password,
//! chooses a password, reports a CT incident through the form, sees its
//! assessment and deadline on the dashboard; then an investigator changes
//! it and the history shows the change.
//!
//! It needs `chromium` and `chromedriver` (Debian's chromium and
//! chromium-driver, which .ci/run installs) and fails loudly without them.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use irmer_web::testclient::request;
use serde_json::{Value, json};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tool(name: &str) -> String {
    for dir in ["/usr/bin", "/usr/local/bin", "/usr/lib/chromium"] {
        let path = format!("{dir}/{name}");
        if std::path::Path::new(&path).exists() {
            return path;
        }
    }
    panic!(
        "\n!!! {name} is missing: the browser tests cannot run. Install Debian's chromium and chromium-driver (.ci/run does). !!!\n"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A WebDriver session (the W3C protocol, JSON over HTTP).
struct Driver {
    addr: SocketAddr,
    session: String,
    _process: Killed,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Driver {
    fn start() -> Driver {
        let chromedriver = tool("chromedriver");
        let chromium = tool("chromium");
        let port = free_port();
        let process = Killed(
            Command::new(chromedriver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver starts"),
        );
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("address");
        let deadline = Instant::now() + Duration::from_secs(20);
        while request(addr, "GET", "/status", &[], "").is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]
        }}}});
        let r = request(addr, "POST", "/session", &[], &caps.to_string()).expect("new session");
        assert_eq!(r.status, 200, "{}", r.body);
        let session = r.json()["value"]["sessionId"]
            .as_str()
            .expect("session id")
            .to_owned();
        Driver {
            addr,
            session,
            _process: process,
        }
    }

    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let body = if method == "GET" {
            String::new()
        } else {
            body.to_string()
        };
        let r = request(self.addr, method, &path, &[], &body).expect("webdriver");
        assert_eq!(r.status, 200, "{method} {path}: {}", r.body);
        r.json()["value"].clone()
    }

    fn go(&self, url: &str) {
        self.call("POST", "/url", json!({"url": url}));
    }

    fn find(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            json!({"using": "css selector", "value": css}),
        );
        v[ELEMENT].as_str().expect("element").to_owned()
    }

    fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{e}/clear"), json!({}));
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            json!({"text": text}),
        );
    }

    fn click(&self, css: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{e}/click"), json!({}));
    }

    fn text(&self) -> String {
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": "return document.body.innerText", "args": []}),
        )
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    fn url(&self) -> String {
        self.call("GET", "/url", json!({}))
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until the page's text contains `needle`.
    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.text();
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{needle:?} never appeared; the page says:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn sign_in(&self, base: &str, user: &str, password: &str) {
        self.go(&format!("{base}sign-in"));
        self.type_into("#f-username", user);
        self.type_into("#f-password", password);
        self.click("form[action='/sign-in'] button[type=submit]");
    }

    fn choose_password(&self, old: &str, new: &str) {
        self.wait_for("Change your password");
        self.type_into("#f-current-password", old);
        self.type_into("#f-new-password", new);
        self.type_into("#f-confirm-password", new);
        self.click("form[action='/account/password'] button[type=submit]");
        self.wait_for("Your password has been changed");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = request(
            self.addr,
            "DELETE",
            &format!("/session/{}", self.session),
            &[],
            "",
        );
    }
}

/// `irmer serve` on a new register: the process, its address and the
/// printed one-time password.
fn serve(db: &str) -> (Killed, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_irmer"))
        .args(["--database", db, "serve", "--bind", "127.0.0.1:0"])
        .env_remove("IRMER_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("irmer serve");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let (mut first, mut second) = (String::new(), String::new());
    out.read_line(&mut first).expect("first line");
    out.read_line(&mut second).expect("second line");
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("the address")
        .to_owned();
    let password = second
        .split("one-time password ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the one-time password")
        .to_owned();
    (Killed(child), base, password)
}

fn cli(db: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_irmer"))
        .args(["--database", db])
        .args(args)
        .env_remove("IRMER_DATABASE_URL")
        .output()
        .expect("irmer");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("text")
}

#[test]
fn a_newcomer_reports_and_an_investigator_changes_it() {
    let dir = std::env::temp_dir().join(format!("irmer-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = dir.join("irmer.db").to_string_lossy().into_owned();
    let (_server, base, password) = serve(&db);
    let browser = Driver::start();

    // Sign in with the printed password, then choose one's own.
    browser.sign_in(&base, "admin", &password);
    browser.choose_password(&password, "a new and long password");
    assert!(browser.text().contains("Dashboard"));

    // Report a CT incident through the form.
    browser.click("a.button[href='/report']");
    browser.wait_for("What was being done?");
    browser.click("input[name=modality][value=ct]");
    browser.click("form[action='/report/form'] button[type=submit]");
    browser.wait_for("Dose received (total)");
    let text = browser.text();
    assert!(
        !text.contains("Most images in any single fraction"),
        "a CT report asks nothing about verification images"
    );
    browser.type_into("#f-discovered", &today_for_input());
    browser.click("#f-exposure-1");
    browser.click("#f-errors-1");
    browser.type_into("#f-patient-age", "52");
    browser.type_into("#f-dose-intended", "0.5");
    browser.type_into("#f-dose-received", "6");
    // The live assessment follows the facts (JavaScript).
    browser.wait_for("Notification codes: 2.2");
    browser.type_into("#f-description", "CT abdomen repeated: wrong protocol.");
    browser.click("button[name=action][value=submit]");
    let page = browser.wait_for("Incident recorded");
    assert!(
        page.contains("Notifiable") && page.contains("Care Quality Commission"),
        "{page}"
    );
    let reference = browser
        .url()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(reference.starts_with("IR-"), "{reference}");

    // The dashboard shows it with its deadline clock.
    browser.go(&base);
    let dash = browser.wait_for(&reference);
    assert!(dash.contains("Notify: due in 14 days"), "{dash}");

    // An investigator changes it; the history shows who, what and why.
    let listed = cli(&db, &["user", "add", "ines", "--role", "investigator"]);
    let ines_password = listed
        .split("shown only now): ")
        .nth(1)
        .expect("password")
        .trim()
        .to_owned();
    browser.click("header form[action='/sign-out'] button");
    browser.wait_for("Sign in");
    browser.sign_in(&base, "ines", &ines_password);
    browser.choose_password(&ines_password, "investigating since 2019");
    browser.go(&format!("{base}incidents/{reference}/edit"));
    browser.wait_for("Why are you making this change?");
    browser.type_into("#f-dose-received", "9");
    browser.type_into("#f-reason", "Dose recalculated by the MPE");
    browser.click("button[name=action][value=save]");
    let page = browser.wait_for("Change saved");
    assert!(page.contains("Facts changed by ines"), "{page}");
    assert!(page.contains("Dose recalculated by the MPE"), "{page}");
    assert!(page.contains("dose.received: 6 → 9"), "{page}");

    let _ = std::fs::remove_dir_all(&dir);
}

/// Today as the date input takes it from the keyboard (UK order, as
/// Chromium's en-GB/en-US date field accepts typed digits: mm dd yyyy in
/// the default en-US locale).
fn today_for_input() -> String {
    let today = time::OffsetDateTime::now_utc().date();
    format!(
        "{:02}{:02}{}",
        u8::from(today.month()),
        today.day(),
        today.year()
    )
}
