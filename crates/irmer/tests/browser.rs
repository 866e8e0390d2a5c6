//! End to end in a real browser: headless Chromium driven over WebDriver
//! (chromedriver), against the real `irmer serve` on a fresh register. It
//! does what a newcomer does: signs in with the printed one-time password,
//! chooses a password, reports a CT incident through the form, sees its
//! assessment and deadline on the dashboard; then an investigator changes
//! it and the history shows the change.
//!
//! A second test runs axe-core (the accessibility rules engine, fetched
//! by scripts/fetch-axe.sh into .cache/axe-core) in every main page, in
//! its plain and its error states, at desktop and phone widths, and fails
//! on any serious or critical violation of the WCAG 2.2 A/AA rules; it
//! also checks that no page scrolls sideways at 320 CSS pixels (reflow).
//!
//! It needs `chromium` and `chromedriver` (Debian's chromium and
//! chromium-driver, which scripts/test.sh installs): without them it fails in
//! CI and says loudly that it was skipped in a developer's `cargo test`.

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

fn find_tool(name: &str) -> Option<String> {
    ["/usr/bin", "/usr/local/bin", "/usr/lib/chromium"]
        .iter()
        .map(|dir| format!("{dir}/{name}"))
        .find(|path| std::path::Path::new(path).exists())
}

fn tool(name: &str) -> String {
    find_tool(name).unwrap_or_else(|| panic!("{name} is missing"))
}

/// Whether this test can run: Chromium, chromedriver and (for the
/// accessibility test) axe-core present. Without them, in CI (`CI` set)
/// the test fails; in a developer's `cargo test` it says loudly that it was
/// skipped (scripts/test.sh installs them).
fn can_run(with_axe: bool) -> bool {
    let mut missing: Vec<String> = ["chromium", "chromedriver"]
        .into_iter()
        .filter(|t| find_tool(t).is_none())
        .map(str::to_owned)
        .collect();
    if with_axe && !std::path::Path::new(&axe_path()).exists() {
        missing.push(format!("axe-core ({})", axe_path()));
    }
    if missing.is_empty() {
        return true;
    }
    let message = format!(
        "{} missing: the browser tests cannot run; scripts/test.sh installs them",
        missing.join(", ")
    );
    assert!(std::env::var_os("CI").is_none(), "{message}");
    eprintln!("\n!!! SKIPPED: {message} !!!\n");
    false
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

/// Runs axe in the page and hands back its violations (WebDriver's
/// asynchronous script: the last argument is the callback).
const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, {
  runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
  resultTypes: ["violations"]
}).then(r => done(r.violations), e => done([{id: "axe-error", impact: "critical", help: String(e), nodes: []}]));
"#;

/// The elements that reach furthest past the right edge of the window, for
/// a reflow failure's message.
const WIDEST: &str = r#"
const w = document.documentElement.clientWidth;
const scrolls = e => ["auto", "scroll"].includes(getComputedStyle(e).overflowX);
const inScroller = e => { for (let p = e.parentElement; p; p = p.parentElement) { if (scrolls(p)) return true; } return false; };
return [...document.querySelectorAll("body *")]
  .filter(e => !inScroller(e))
  .map(e => [Math.max(e.getBoundingClientRect().right, e.getBoundingClientRect().left + (scrolls(e) ? 0 : e.scrollWidth)) - w, e.outerHTML.slice(0, 80)])
  .filter(([over]) => over > 0)
  .sort((a, b) => b[0] - a[0])
  .slice(0, 3);
"#;

/// axe-core's engine, as scripts/fetch-axe.sh leaves it (or where
/// IRMER_AXE_JS points).
fn axe_path() -> String {
    std::env::var("IRMER_AXE_JS").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../.cache/axe-core/axe.min.js"
        )
        .to_owned()
    })
}

fn axe_engine() -> String {
    let path = axe_path();
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("axe-core cannot be read at {path}: {e}"))
}

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

    fn script(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
    }

    /// Sets the window's size (CSS pixels at the default zoom).
    fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            json!({"width": width, "height": height}),
        );
    }

    /// Runs axe-core in the current page; returns each violation of the
    /// WCAG 2.0-2.2 A and AA rules and of axe's best practices as
    /// (impact, rule, help, the first offending elements).
    fn axe(&self, engine: &str) -> Vec<(String, String, String, Vec<String>)> {
        let loaded = self.script(&format!("{engine}\n;return typeof window.axe;"));
        assert_eq!(loaded, json!("object"), "axe-core did not load");
        let found = self.call(
            "POST",
            "/execute/async",
            json!({"script": AXE_RUN, "args": []}),
        );
        found
            .as_array()
            .expect("axe's violations")
            .iter()
            .map(|v| {
                let nodes = v["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .take(3)
                    .map(|n| n["html"].as_str().unwrap_or_default().to_owned())
                    .collect();
                let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
                (text("impact"), text("id"), text("help"), nodes)
            })
            .collect()
    }

    /// Saves what the window shows as a PNG file.
    fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine as _;
        let png = self.call("GET", "/screenshot", json!({}));
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().expect("base64"))
            .expect("a PNG");
        std::fs::write(path, bytes).expect("write the screenshot");
    }

    /// How far the page scrolls sideways, in CSS pixels (0 when it fits).
    fn overflow(&self) -> i64 {
        self.script("const d = document.documentElement; return d.scrollWidth - d.clientWidth;")
            .as_i64()
            .expect("a width")
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
    serve_as(db, &["serve"])
}

/// `irmer COMMAND… --bind 127.0.0.1:0` on a new register, as [`serve`].
fn serve_as(db: &str, command: &[&str]) -> (Killed, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_irmer"))
        .args(["--database", db])
        .args(command)
        .args(["--bind", "127.0.0.1:0"])
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
    if !can_run(false) {
        return;
    }
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
    // Sent empty: every error at once in the summary, which takes the
    // focus; then filled in.
    browser.click("button[name=action][value=submit]");
    let page = browser.wait_for("There is a problem");
    for message in [
        "Enter the date the incident was discovered",
        "Select what happened to the person the incident is about",
    ] {
        assert!(page.contains(message), "{message}: {page}");
    }
    assert_eq!(
        browser.script("return document.activeElement.className;"),
        json!("error-summary")
    );
    type_today(&browser, "discovered");
    browser.click("#f-exposure-1");
    browser.click("#f-errors-1");
    // Pregnancy is asked only where the patient could be pregnant: the
    // questions go as an age of 67 is typed, and come back for 30.
    let pregnancy_hidden = || {
        browser
            .script("return document.querySelector(\"[data-show-if='could-be-pregnant']\").hidden;")
    };
    assert_eq!(pregnancy_hidden(), json!(false));
    browser.type_into("#f-patient-age", "67");
    wait_until(
        || pregnancy_hidden() == json!(true),
        "pregnancy hidden at 67",
    );
    browser.script("document.getElementById('f-patient-age').value = ''; return 0;");
    browser.type_into("#f-patient-age", "52");
    wait_until(
        || pregnancy_hidden() == json!(false),
        "pregnancy asked at 52",
    );
    browser.type_into("#f-dose-intended", "0.5");
    browser.type_into("#f-dose-received", "6");
    // The live assessment follows the facts (JavaScript).
    browser.wait_for("2.2 Unintended exposure, intended dose between 0.3 and 2.5 mSv");
    browser.type_into("#f-description", "CT abdomen repeated: wrong protocol.");
    browser.click("button[name=action][value=submit]");
    // A last look at the answers, then sent; the confirmation says what
    // happens next.
    let page = browser.wait_for("Check your answers");
    assert!(page.contains("Notifiable"), "{page}");
    browser.click("button[name=action][value=confirm]");
    let page = browser.wait_for("Report sent");
    assert!(
        page.contains("Care Quality Commission must be told"),
        "{page}"
    );
    let url = browser.url();
    let reference = url
        .trim_end_matches("/reported")
        .rsplit('/')
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

    // Found by a word of its description from the register's search box.
    browser.go(&format!("{base}incidents"));
    browser.wait_for("Search");
    browser.type_into("#f-q", "wrong protocol");
    browser.click("form.filters button[type=submit]");
    // The list before the search shows the same count: wait for the
    // search's own address, lest its load land after the next page's.
    wait_until(
        || {
            browser
                .call("GET", "/url", json!({}))
                .as_str()
                .is_some_and(|u| u.contains("q=wrong"))
        },
        "the search's results",
    );
    let found = browser.wait_for("Showing 1 to 1");
    assert!(found.contains(&reference), "{found}");

    // Its life to the end, on the page: notified, report sent, closed
    // after a check of the findings; then reopened, with a reason.
    browser.go(&format!("{base}incidents/{reference}"));
    browser.wait_for("The authority was notified");
    browser.type_into("#f-authority-reference", "CQC-IRMER-0001");
    browser.click("form:has(input[value=record-notification]) button[type=submit]");
    browser.wait_for("The investigation report was sent");
    browser.click("form:has(input[value=record-report-sent]) button[type=submit]");
    browser.wait_for("Close: the authority has closed it");
    browser.type_into("#f-findings", "Protocol selection locked on the scanner.");
    browser.click("form:has(input[value=close]) button[type=submit]");
    let check = browser.wait_for("Check before closing");
    assert!(
        check.contains("Protocol selection locked on the scanner."),
        "{check}"
    );
    browser.click("button[name=confirm][value=yes]");
    let page = browser.wait_for("Status: Closed");
    assert!(page.contains("Reopen the incident"), "{page}");
    browser.type_into("#f-reopen-reason", "The authority asked for the dose again");
    browser.click("form:has(input[value=reopen]) button[type=submit]");
    let page = browser.wait_for("Status: Report sent");
    assert!(
        page.contains("Reopened by ines")
            && page.contains("The authority asked for the dose again"),
        "{page}"
    );

    // At a phone's width the register and the dashboard do not scroll
    // sideways: their rows stack.
    browser.resize(375, 800);
    for path in ["incidents", ""] {
        browser.go(&format!("{base}{path}"));
        browser.wait_for(&reference);
        assert_eq!(browser.overflow(), 0, "/{path} scrolls sideways at 375 px");
    }
    browser.resize(1280, 1000);

    let _ = std::fs::remove_dir_all(&dir);
}

/// Waits until `done` holds (a script's effect), or fails naming `what`.
fn wait_until(done: impl Fn() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Types today's date into a GOV.UK date input (day, month, year).
fn type_today(browser: &Driver, name: &str) {
    let today = time::OffsetDateTime::now_utc().date();
    browser.type_into(&format!("#f-{name}"), &today.day().to_string());
    browser.type_into(
        &format!("#f-{name}-month"),
        &u8::from(today.month()).to_string(),
    );
    browser.type_into(&format!("#f-{name}-year"), &today.year().to_string());
}

/// One page, in one state, as the accessibility check saw it.
struct Seen {
    page: String,
    problems: Vec<String>,
    minor: Vec<String>,
}

/// Checks the page the browser shows now: axe at desktop width, then at a
/// phone's 320 CSS pixels (axe again, and no sideways scrolling). With
/// IRMER_SCREENSHOTS set to a folder, saves each view there as a PNG.
fn check(browser: &Driver, engine: &str, page: &str, seen: &mut Vec<Seen>) {
    let mut problems = Vec::new();
    let mut minor = Vec::new();
    for (width, label) in [(1280, "desktop"), (320, "phone")] {
        browser.resize(width, 1000);
        for (impact, rule, help, nodes) in browser.axe(engine) {
            let line = format!("[{label}] {impact} {rule}: {help} {nodes:?}");
            if impact == "serious" || impact == "critical" {
                problems.push(line);
            } else {
                minor.push(line);
            }
        }
        if let Ok(dir) = std::env::var("IRMER_SCREENSHOTS") {
            let name: String = page
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            browser.screenshot(&std::path::Path::new(&dir).join(format!("{name}-{label}.png")));
        }
        if width == 320 {
            let over = browser.overflow();
            if over > 0 {
                let wide = browser.script(WIDEST);
                problems.push(format!(
                    "[phone] the page scrolls sideways by {over} px at 320 px wide (WCAG 1.4.10 reflow); widest: {wide}"
                ));
            }
        }
    }
    browser.resize(1280, 1000);
    seen.push(Seen {
        page: page.to_owned(),
        problems,
        minor,
    });
}

/// Prints what axe found on every page state, and fails on anything
/// serious or critical.
fn assert_accessible(seen: &[Seen]) {
    let mut report = String::new();
    for s in seen {
        report.push_str(&format!(
            "{}: {} serious or critical, {} minor or moderate\n",
            s.page,
            s.problems.len(),
            s.minor.len()
        ));
        for line in s.problems.iter().chain(&s.minor) {
            report.push_str(&format!("    {line}\n"));
        }
    }
    eprintln!(
        "accessibility check of {} page states:\n{report}",
        seen.len()
    );
    assert!(
        seen.iter().all(|s| s.problems.is_empty()),
        "serious or critical accessibility problems:\n{report}"
    );
}

#[test]
fn main_pages_pass_the_accessibility_check_at_desktop_and_phone_widths() {
    if !can_run(true) {
        return;
    }
    let engine = axe_engine();
    let dir = std::env::temp_dir().join(format!("irmer-axe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a directory");
    let db = dir.join("irmer.db").to_string_lossy().into_owned();
    let (_server, base, password) = serve(&db);
    // An incident to show: a notifiable CT exposure, by the import command;
    // and another, its cause coded, for a possible theme.
    let file = dir.join("one.jsonl");
    let mut coded = irmer_store::testsuite::ct("AXE-2", "2026-10-02");
    coded["causes"] = json!(["operator.pre-exposure-checks.wrong-protocol"]);
    // And one clinically significant, with tasks to do.
    let mut significant = irmer_store::testsuite::ct("AXE-3", "2026-11-25");
    significant["clinically_significant"] = json!(true);
    // And a licensing breach, given as intended: its own panel.
    let breach = json!({"reference": "AXE-4", "nation": "england", "discovered": "2026-11-26",
        "modality": "nuclear-medicine-therapy", "exposure": "intended", "licence": {"employer": false},
        "radiopharmaceutical": {"intended": "I-131", "administered": "I-131"}});
    std::fs::write(
        &file,
        format!(
            "{}\n{coded}\n{significant}\n{breach}\n",
            irmer_store::testsuite::ct("AXE-1", "2026-11-20")
        ),
    )
    .expect("write");
    cli(&db, &["import", &file.to_string_lossy()]);
    // Connected to a CQC where nothing listens: the send forms are shown.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let nowhere = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    cli(
        &db,
        &[
            "authority",
            "connect",
            "--authority",
            "cqc",
            "--url",
            &nowhere,
            "--token",
            "irmer_org_0",
            "--contact-email",
            "rpa@trust.example.org",
            "--organisation",
            "Northshire Hospitals NHS Trust",
        ],
    );

    let browser = Driver::start();
    let mut seen = Vec::new();
    let at = |path: &str, wait: &str, label: &str, seen: &mut Vec<Seen>| {
        browser.go(&format!("{base}{path}"));
        browser.wait_for(wait);
        check(&browser, &engine, label, seen);
    };

    // Signed out: the sign-in page, then its error state.
    at("sign-in", "Sign in", "sign-in", &mut seen);
    browser.type_into("#f-username", "admin");
    browser.type_into("#f-password", "not the password");
    browser.click("form[action='/sign-in'] button[type=submit]");
    browser.wait_for("There is a problem");
    check(&browser, &engine, "sign-in, wrong password", &mut seen);

    // The forced password change, with a mismatch, then done.
    browser.sign_in(&base, "admin", &password);
    browser.wait_for("Change your password");
    check(&browser, &engine, "password change", &mut seen);
    browser.type_into("#f-current-password", &password);
    browser.type_into("#f-new-password", "a new and long password");
    browser.type_into("#f-confirm-password", "a different password!");
    browser.click("form[action='/account/password'] button[type=submit]");
    browser.wait_for("There is a problem");
    check(&browser, &engine, "password change, mismatch", &mut seen);
    browser.choose_password(&password, "a new and long password");

    at("", "Dashboard", "dashboard", &mut seen);
    // The check can fail: axe finds a broken image and an unlabelled field
    // put into the page.
    browser.script(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/static/none.png\"><input type=\"text\">'); return 0;",
    );
    let planted = browser.axe(&engine);
    for rule in ["image-alt", "label"] {
        assert!(
            planted
                .iter()
                .any(|(impact, id, ..)| id == rule && impact == "critical"),
            "axe missed the planted {rule} violation: {planted:?}"
        );
    }
    at(
        "report",
        "What was being done?",
        "report: modality",
        &mut seen,
    );
    at(
        "report/form",
        "There is a problem",
        "report: no modality chosen",
        &mut seen,
    );
    at(
        "report/form?modality=ct",
        "Dose received",
        "report form (CT)",
        &mut seen,
    );
    browser.click("button[name=action][value=submit]");
    browser.wait_for("There is a problem");
    check(
        &browser,
        &engine,
        "report form (CT), nothing filled",
        &mut seen,
    );
    // Filled in: check your answers, then the confirmation.
    type_today(&browser, "discovered");
    browser.click("#f-exposure-1");
    browser.type_into("#f-dose-received", "6");
    browser.click("button[name=action][value=submit]");
    browser.wait_for("Check your answers");
    check(&browser, &engine, "report: check your answers", &mut seen);
    browser.click("button[name=action][value=confirm]");
    browser.wait_for("Report sent");
    check(&browser, &engine, "report: sent", &mut seen);
    at(
        "report/form?modality=external-beam",
        "Dose received",
        "report form (external beam)",
        &mut seen,
    );
    at("incidents", "AXE-1", "register", &mut seen);
    at("deadlines", "In your calendar", "deadlines", &mut seen);
    browser.click("form[action='/deadlines/calendar'] button[type=submit]");
    browser.wait_for("Copy it now");
    check(
        &browser,
        &engine,
        "deadlines, a calendar address made",
        &mut seen,
    );
    at(
        "incidents?status=lost",
        "There is a problem",
        "register, bad filter",
        &mut seen,
    );
    // A comment of one 300-character word wraps: the page does not widen.
    browser.resize(1280, 1000);
    browser.go(&format!("{base}incidents/AXE-1"));
    browser.wait_for("History");
    browser.type_into("#f-comment", &"a".repeat(300));
    browser
        .script("document.querySelector(\"form[action$='/comments']\").requestSubmit(); return 0;");
    browser.wait_for("Comment added");
    at("incidents/AXE-1", "History", "incident page", &mut seen);
    at(
        "incidents/AXE-3",
        "What this decision obliges",
        "incident page with tasks",
        &mut seen,
    );
    at(
        "incidents/AXE-4",
        "Licensing breach",
        "incident page, a licensing breach",
        &mut seen,
    );
    browser.click("form[action$='/send-licence-breach'] button[type=submit]");
    browser.wait_for("There is a problem");
    check(
        &browser,
        &engine,
        "incident page, a licensing breach not sent",
        &mut seen,
    );
    browser.go(&format!("{base}incidents/AXE-3"));
    browser.wait_for("What this decision obliges");
    browser.click("section[aria-labelledby^=task-] button[name=action][value=not-needed]");
    browser.wait_for("There is a problem");
    check(
        &browser,
        &engine,
        "incident page, a task refused",
        &mut seen,
    );
    at(
        "incidents/AXE-1/edit",
        "Why are you making this change?",
        "edit",
        &mut seen,
    );
    at(
        "incidents/AXE-1/identity",
        "Who is involved",
        "who is involved",
        &mut seen,
    );
    browser.type_into("#f-patient-health-number", "943 476 5918");
    browser.click("form[action='/incidents/AXE-1/identity'] button[type=submit]");
    browser.wait_for("There is a problem");
    check(
        &browser,
        &engine,
        "who is involved, a wrong check digit",
        &mut seen,
    );
    at(
        "incidents/AXE-1/report",
        "Investigation report",
        "investigation report",
        &mut seen,
    );
    // An identifier typed into a section is refused as it is typed.
    browser.type_into("#f-sections-what-happened", "Dr Khan was told at once.");
    browser.click("button[name=action][value=draft]");
    browser.wait_for("would identify a person");
    check(
        &browser,
        &engine,
        "investigation report, an identifier refused as typed",
        &mut seen,
    );
    // A name the incident's identity records passes that check (it could
    // be anyone's) and is stopped where the report leaves.
    browser.go(&format!("{base}incidents/AXE-1/identity"));
    browser.wait_for("Who is involved");
    browser.type_into("#f-patient-name", "Ahmed Khan");
    browser.click("form[action='/incidents/AXE-1/identity'] button[type=submit]");
    browser.wait_for("History");
    browser.go(&format!("{base}incidents/AXE-1/report"));
    browser.wait_for("Investigation report");
    browser.type_into("#f-sections-what-happened", "Khan was told at once.");
    browser.click("button[name=action][value=draft]");
    browser.wait_for("Report saved");
    at(
        "incidents/AXE-1/report.html",
        "identifies someone",
        "investigation report, blocked",
        &mut seen,
    );
    at(
        "incidents/AXE-1/report.html?redact=1",
        "[patient] was told",
        "investigation report, made (redacted)",
        &mut seen,
    );
    at(
        "incidents/AXE-1/notification",
        "AXE-1",
        "notification summary",
        &mut seen,
    );
    // The copy button appears where the script runs (it once stopped
    // early on every page without the report form).
    assert_eq!(
        browser.script("return document.querySelector('[data-copy]').hidden;"),
        json!(false)
    );
    at("account/tokens", "Make a token", "API tokens", &mut seen);
    browser.type_into("#f-label", "a script");
    browser.click("form[action='/account/tokens'] button[type=submit]");
    browser.wait_for("Copy it now");
    check(&browser, &engine, "API tokens, one just made", &mut seen);
    // Coding the causes: the form, then sent without a reason.
    at(
        "incidents/AXE-1/causes",
        "Code the causes",
        "causes",
        &mut seen,
    );
    browser.click("#cause-operator-pre-exposure-checks-wrong-protocol");
    browser.click("form[action='/incidents/AXE-1/causes'] button[type=submit]");
    browser.wait_for("There is a problem");
    check(&browser, &engine, "causes, no reason", &mut seen);
    browser.type_into("#f-reason", "Root cause analysis");
    browser.click("form[action='/incidents/AXE-1/causes'] button[type=submit]");
    browser.wait_for("Review the possible theme");
    check(
        &browser,
        &engine,
        "incident page, a possible theme",
        &mut seen,
    );
    at(
        "incidents/AXE-1/theme",
        "Confirm the theme",
        "possible theme",
        &mut seen,
    );
    browser.click("button[name=decision][value=dismiss]");
    browser.wait_for("There is a problem");
    check(&browser, &engine, "possible theme, no reason", &mut seen);
    at(
        "",
        "Possible themes",
        "dashboard, possible themes",
        &mut seen,
    );

    // Closing through its check, and a reopening without a reason.
    browser.go(&format!("{base}incidents/AXE-1"));
    browser.wait_for("The authority was notified");
    browser.type_into("#f-authority-reference", "CQC-AXE-1");
    browser.click("form:has(input[value=record-notification]) button[type=submit]");
    browser.wait_for("The investigation report was sent");
    browser.click("form:has(input[value=record-report-sent]) button[type=submit]");
    browser.wait_for("Close: the authority has closed it");
    browser.type_into("#f-findings", "Protocols renamed.");
    browser.click("form:has(input[value=close]) button[type=submit]");
    browser.wait_for("Check before closing");
    check(&browser, &engine, "check before closing", &mut seen);
    browser.click("button[name=confirm][value=yes]");
    browser.wait_for("Reopen the incident");
    check(&browser, &engine, "incident page, closed", &mut seen);
    browser.click("form:has(input[value=reopen]) button[type=submit]");
    browser.wait_for("Say why the incident is reopened");
    check(&browser, &engine, "reopen without a reason", &mut seen);

    // Statistics and trends: the charts, their tables, a bad period.
    at(
        "statistics?by=cause-tier1&by=modality",
        "Incidents by duty holder",
        "statistics by cause and modality",
        &mut seen,
    );
    at(
        "statistics?from=2026-02-01&to=2026-01-01",
        "There is a problem",
        "statistics, a bad period",
        &mut seen,
    );
    at("trends", "All incidents", "trends", &mut seen);
    at(
        "statistics/committee.html",
        "Radiation protection committee report",
        "the committee's report",
        &mut seen,
    );
    at(
        "trends?by=modality",
        "The figures of this chart",
        "trends by modality",
        &mut seen,
    );

    // Administration, page by page; a new user's one-time password.
    at("admin", "Administration", "administration", &mut seen);
    at(
        "admin/activity",
        "Activity, one a line",
        "administration: activity",
        &mut seen,
    );
    at(
        "admin/authority",
        "Address of its irmer",
        "administration: enforcing authorities",
        &mut seen,
    );
    at(
        "admin/users",
        "Add a user",
        "administration: users",
        &mut seen,
    );
    browser.type_into("#f-username", "new.person");
    browser.type_into("#f-display-name", "New Person");
    browser.click("form[action='/admin/users'] button[type=submit]");
    browser.wait_for("Their one-time password is");
    check(
        &browser,
        &engine,
        "administration: a one-time password",
        &mut seen,
    );
    at(
        "admin/places",
        "Add a site",
        "administration: sites",
        &mut seen,
    );
    at(
        "admin/settings",
        "Child age cut-off",
        "administration: settings",
        &mut seen,
    );
    browser.type_into("#f-child-age-under", "200");
    browser.click("form[action='/admin/settings'] button[type=submit]");
    browser.wait_for("There is a problem");
    check(
        &browser,
        &engine,
        "administration: settings, an error",
        &mut seen,
    );
    at(
        "admin/hospital-numbers",
        "Patterns of your local hospital numbers",
        "administration: hospital numbers",
        &mut seen,
    );
    at(
        "admin/licences",
        "The register, as CSV",
        "administration: ARSAC licences",
        &mut seen,
    );
    browser.type_into("#f-licences", "holder,name\nnurse,X");
    browser.click("form[action='/admin/licences'] button[type=submit]");
    browser.wait_for("There is a problem");
    check(
        &browser,
        &engine,
        "administration: ARSAC licences, an error",
        &mut seen,
    );
    at(
        "admin/tokens",
        "API tokens",
        "administration: tokens",
        &mut seen,
    );
    at(
        "admin/audit",
        "Audit log",
        "administration: audit log",
        &mut seen,
    );
    at(
        "admin/outbox",
        "Outbox",
        "administration: outbox",
        &mut seen,
    );

    assert_accessible(&seen);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_authoritys_pages_pass_the_accessibility_check_at_desktop_and_phone_widths() {
    if !can_run(true) {
        return;
    }
    let engine = axe_engine();
    let dir = std::env::temp_dir().join(format!("irmer-axe-cqc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a directory");
    let db = dir.join("cqc.db").to_string_lossy().into_owned();
    let token = cli(
        &db,
        &[
            "authority",
            "token",
            "create",
            "--organisation",
            "Northshire Hospitals NHS Trust",
        ],
    );
    let (_server, base, password) = serve_as(&db, &["authority", "serve", "--authority", "cqc"]);
    // A notification, as an employer's irmer sends it.
    let addr: std::net::SocketAddr = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("address");
    let body = json!({
        "organisation": {"name": "Northshire Hospitals NHS Trust"},
        "contact": {"email": "rpa@northshire.example.org"},
        "incident": irmer_store::testsuite::ct("AXE-1", "2026-11-20"),
        "summary": "A CT head was repeated with the wrong protocol.",
        "codes": ["2.1"]
    });
    let auth = format!("Bearer {}", token.trim());
    let r = request(
        addr,
        "POST",
        "/api/v1/notifications",
        &[("Authorization", &auth)],
        &body.to_string(),
    )
    .expect("request");
    assert_eq!(r.status, 201, "{}", r.body);
    let reference = r.json()["reference"]
        .as_str()
        .expect("reference")
        .to_owned();

    let browser = Driver::start();
    let mut seen = Vec::new();
    let at = |path: &str, wait: &str, label: &str, seen: &mut Vec<Seen>| {
        browser.go(&format!("{base}{path}"));
        browser.wait_for(wait);
        check(&browser, &engine, label, seen);
    };
    // The public form, as a provider without irmer sees it.
    at(
        "notify",
        "What was being done?",
        "authority: notify, modality",
        &mut seen,
    );
    at(
        "notify?modality=ct",
        "Your organisation",
        "authority: notify, the form",
        &mut seen,
    );
    browser.click("form[action='/notify/check'] button[type=submit]");
    browser.wait_for("There is a problem");
    check(
        &browser,
        &engine,
        "authority: notify, nothing filled",
        &mut seen,
    );
    browser.type_into("#f-organisation-name", "Southdale Imaging Ltd");
    browser.type_into("#f-contact-email", "quality@southdale.example.org");
    type_today(&browser, "discovered");
    browser.click("#f-exposure-1");
    browser.type_into("#f-dose-received", "6");
    browser.type_into(
        "#f-summary",
        "A CT head was repeated with the wrong protocol.",
    );
    browser.click("form[action='/notify/check'] button[type=submit]");
    browser.wait_for("Check your answers");
    check(
        &browser,
        &engine,
        "authority: notify, check your answers",
        &mut seen,
    );
    browser.click("form[action='/notify/submit'] button[type=submit]");
    browser.wait_for("Notification sent");
    check(&browser, &engine, "authority: notify, sent", &mut seen);
    at(
        "notify/report",
        "Send your investigation report",
        "authority: report upload",
        &mut seen,
    );
    browser.click("form[action='/notify/report'] button[type=submit]");
    browser.wait_for("There is a problem");
    check(
        &browser,
        &engine,
        "authority: report upload, nothing filled",
        &mut seen,
    );
    at(
        "notify/licence",
        "Tell us about a licensing breach",
        "authority: licensing breach",
        &mut seen,
    );
    browser.click("form[action='/notify/licence/check'] button[type=submit]");
    browser.wait_for("There is a problem");
    check(
        &browser,
        &engine,
        "authority: licensing breach, nothing filled",
        &mut seen,
    );

    browser.sign_in(&base, "admin", &password);
    browser.wait_for("Change your password");
    browser.choose_password(&password, "a new and long password");
    at("", "Awaiting triage", "authority: queue", &mut seen);
    at(
        "cases",
        "Notifications",
        "authority: notifications",
        &mut seen,
    );
    let case = format!("cases/{reference}");
    at(&case, "Save the triage", "authority: a case", &mut seen);
    browser.click("section[aria-labelledby=step-triage] button[type=submit]");
    browser.wait_for("There is a problem");
    check(
        &browser,
        &engine,
        "authority: a case, triage refused",
        &mut seen,
    );
    browser.click("#f-risk-high");
    browser.type_into("#f-reason", "Dose over ten times the intended.");
    browser.click("section[aria-labelledby=step-triage] button[type=submit]");
    browser.wait_for("The triage is saved.");
    check(&browser, &engine, "authority: a case, triaged", &mut seen);
    at(
        "annual",
        "Annual figures",
        "authority: annual figures",
        &mut seen,
    );
    at("admin/users", "Add a user", "authority: staff", &mut seen);
    at("admin/outbox", "Outbox", "authority: outbox", &mut seen);
    at(
        "admin/organisations",
        "Make a token",
        "authority: organisations' tokens",
        &mut seen,
    );

    assert_accessible(&seen);
    let _ = std::fs::remove_dir_all(&dir);
}
