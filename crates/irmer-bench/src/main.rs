//! Benchmark tools for `irmer assess` (see BENCHMARKS.md).
//!
//! - `irmer-bench generate N [SEED]`: N incidents as JSON Lines on standard
//!   output, mixing every modality, exposure kind and nation, with the
//!   facts each category's criteria read. Deterministic for a seed.
//! - `irmer-bench generate-register N [SEED]`: the same mix for a
//!   register's statistics: discovered from April 2023 to November 2026,
//!   about 7 in 10 coded with one or two causes of the shipped taxonomy
//!   (a few causes far commoner than the rest, as in the national reports).
//! - `irmer-bench parse FILE`: reads FILE line by line and parses every
//!   incident exactly as `irmer assess` does, without assessing or printing;
//!   prints the time and the rate.
//! - `irmer-bench assess FILE`: the same, plus assessing (no printing).
//! - `irmer-bench load [-H 'NAME: VALUE']… [-d BODY_FILE] ADDR RATE SECONDS PATH…`: an
//!   open-loop load on a server at ADDR (loopback only): RATE GET requests (POSTs of BODY_FILE with -d)
//!   a second for SECONDS, cycling through the PATHs (`{n}` in a path
//!   becomes a random incident number below 100000), each with the given
//!   headers (a session cookie, an API token). Latency is measured from
//!   each request's scheduled time, so a slow server cannot hide queueing;
//!   prints p50, p99 and max.
//! - `irmer-bench session ADDR USER PASSWORD [NEW_PASSWORD]`: signs in
//!   through the web form (changing a one-time password) and prints the
//!   `Cookie:` header of the session, for `load -H`.
//! - `irmer-bench sign-ins ADDR USER PASSWORD CLIENTS SECONDS`: CLIENTS
//!   threads sign USER in through the form over and over (each one an
//!   argon2 hash on the server) while `/healthz` is asked 20 times a second
//!   (open loop, as `load`); prints the health check's latency and the
//!   sign-ins a second.
//! - `irmer-bench pdf N`: the time to typeset a report of six sections
//!   (about 13 KB of text) and 3 similar incidents as PDF, N different
//!   ones in one process: the first (which parses the embedded fonts) and
//!   the median of the rest.
//! - `irmer-bench scan MB`: the identifier scanner's throughput on MB
//!   megabytes of report-like text (clinical sentences, one identifier in
//!   about 1 KB), on one thread: with no rules, and with 2 hospital number
//!   masks and 3 recorded people. Prints the median and best of 7 runs.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

use irmer_core::incident::Modality;
use irmer_core::{GuidanceVersion, Settings, assess, parse_incident_slice};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["generate", n] => generate(n, "1"),
        ["generate", n, seed] => generate(n, seed),
        ["generate-register", n] => generate_register(n, "1"),
        ["generate-register", n, seed] => generate_register(n, seed),
        ["parse", file] => time(file, false),
        ["assess", file] => time(file, true),
        ["load", rest @ ..] => load_args(rest),
        ["session", addr, user, password] => session(addr, user, password, None),
        ["session", addr, user, password, new] => session(addr, user, password, Some(new)),
        ["scan", mb] => scan_bench(mb),
        ["pdf", n] => pdf_bench(n),
        ["sign-ins", addr, user, password, clients, seconds] => {
            sign_ins(addr, user, password, clients, seconds)
        }
        _ => Err("usage: irmer-bench generate N [SEED] | parse FILE | assess FILE | load [-H 'NAME: VALUE']... ADDR RATE SECONDS PATH... | session ADDR USER PASSWORD [NEW_PASSWORD] | sign-ins ADDR USER PASSWORD CLIENTS SECONDS | scan MB | pdf N".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("irmer-bench: {e}");
            ExitCode::from(2)
        }
    }
}

/// A small deterministic generator (xorshift64*): no dependency, and the
/// same file for the same seed on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.below(options.len() as u64) as usize]
    }
    /// A decimal with `places` places in `0..max`.
    fn decimal(&mut self, max: u64, places: u32) -> String {
        let scale = 10u64.pow(places);
        let v = self.below(max * scale);
        if places == 0 {
            v.to_string()
        } else {
            format!("{}.{:0w$}", v / scale, v % scale, w = places as usize)
        }
    }
}

fn generate(n: &str, seed: &str) -> Result<(), String> {
    let n: u64 = n
        .parse()
        .map_err(|_| format!("N must be a whole number, found {n:?}"))?;
    let seed: u64 = seed
        .parse()
        .map_err(|_| format!("SEED must be a whole number, found {seed:?}"))?;
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let stdout = std::io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 20, stdout);
    let mut line = String::with_capacity(512);
    for k in 0..n {
        line.clear();
        incident(&mut rng, k, &mut line);
        line.push('\n');
        if out.write_all(line.as_bytes()).is_err() {
            return Ok(()); // closed pipe
        }
    }
    out.flush().map_err(|e| e.to_string())
}

fn generate_register(n: &str, seed: &str) -> Result<(), String> {
    let n: u64 = n
        .parse()
        .map_err(|_| format!("N must be a whole number, found {n:?}"))?;
    let seed: u64 = seed
        .parse()
        .map_err(|_| format!("SEED must be a whole number, found {seed:?}"))?;
    let causes: Vec<String> = irmer_stats::taxonomy::Taxonomy::shipped()
        .map_err(|e| e.to_string())?
        .tier(3)
        .map(|e| e.code.clone())
        .collect();
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let stdout = std::io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 20, stdout);
    let mut line = String::with_capacity(640);
    // April 2023 to November 2026: 44 months.
    for k in 0..n {
        line.clear();
        incident(&mut rng, k, &mut line);
        let month = rng.below(44);
        let (year, month) = (2023 + (month + 3) / 12, (month + 3) % 12 + 1);
        let date = format!("{year}-{month:02}-{:02}", 1 + rng.below(28));
        if let Some(at) = line.find(r#""discovered":""#) {
            let start = at + r#""discovered":""#.len();
            line.replace_range(start..start + 10, &date);
        }
        if rng.below(10) < 7 {
            // Skewed: the square of a uniform pick favours the first codes.
            let mut pick = || {
                let n = causes.len() as u64;
                let i = rng.below(n) * rng.below(n) / n;
                causes[i as usize].as_str()
            };
            let first = pick();
            let second = pick();
            line.pop(); // the closing brace
            if rng.below(3) == 0 && second != first {
                let _ = write!(line, r#","causes":["{first}","{second}"]}}"#);
            } else {
                let _ = write!(line, r#","causes":["{first}"]}}"#);
            }
        }
        line.push('\n');
        if out.write_all(line.as_bytes()).is_err() {
            return Ok(()); // closed pipe
        }
    }
    out.flush().map_err(|e| e.to_string())
}

fn incident(rng: &mut Rng, k: u64, s: &mut String) {
    let modality = Modality::ALL[rng.below(Modality::ALL.len() as u64) as usize];
    let exposure = rng.pick(&[
        "unintended",
        "unintended",
        "unintended",
        "accidental",
        "intended",
        "none",
    ]);
    let nation = rng.pick(&[
        "england",
        "england",
        "wales",
        "scotland",
        "northern-ireland",
    ]);
    // January to November 2026: none in the future when the register
    // imports it (it refuses a discovery after today).
    let month = 1 + rng.below(11);
    let day = 1 + rng.below(28);
    let _ = write!(
        s,
        r#"{{"reference":"BENCH-{k:08}","nation":"{nation}","discovered":"2026-{month:02}-{day:02}","modality":"{modality}","exposure":"{exposure}""#,
        modality = modality.as_str()
    );
    match rng.below(3) {
        0 => {
            let _ = write!(s, r#","patient":{{"age":{}}}"#, rng.below(95));
        }
        1 => {
            let _ = write!(
                s,
                r#","patient":{{"age_group":"{}"}}"#,
                rng.pick(&["adult", "child"])
            );
        }
        _ => {}
    }
    let errors = rng.pick(&[
        r#"["human"]"#,
        r#"["procedural"]"#,
        r#"["equipment"]"#,
        r#"["human","systematic"]"#,
        "[]",
    ]);
    let _ = write!(s, r#","errors":{errors}"#);
    if rng.below(10) == 0 {
        let _ = write!(s, r#","people":{}"#, 2 + rng.below(5));
    }
    use irmer_core::incident::ExposureCategory as C;
    match modality.category() {
        C::Diagnostic
        | C::Interventional
        | C::RadiotherapyPlanning
        | C::RadiotherapyVerification => {
            let received = rng.decimal(40, 3);
            if exposure == "accidental" {
                let _ = write!(s, r#","dose":{{"unit":"mSv","received":{received}}}"#);
            } else {
                let intended = rng.decimal(15, 3);
                let _ = write!(
                    s,
                    r#","dose":{{"unit":"mSv","intended":{intended},"received":{received}}}"#
                );
            }
        }
        _ => {}
    }
    match modality.category() {
        C::Interventional => {
            let _ = write!(s, r#","tissue_reaction":{}"#, rng.below(4) == 0);
        }
        C::RadiotherapyPlanning => {
            let _ = write!(s, r#","planning_scans":{}"#, 1 + rng.below(4));
        }
        C::RadiotherapyVerification => {
            let _ = write!(
                s,
                r#","verification":{{"images_in_fraction":{},"intended_images":{},"additional_images":{},"cause":"{}","thematic":{}}}"#,
                1 + rng.below(4),
                5 + rng.below(20),
                rng.below(12),
                rng.pick(&["set-up", "equipment", "protocol"]),
                rng.below(3) == 0
            );
        }
        C::RadiotherapyTreatment => {
            let intended = 20 + rng.below(50);
            let _ = write!(
                s,
                r#","therapy":{{"deliveries":[{{"structure":"ptv","scope":"course","intended_gy":{intended},"delivered_gy":{}}},{{"structure":"oar","scope":"fraction","intended_gy":2,"delivered_gy":{}}}],"geographical_miss":"{}","miss_mm":{},"margin_mm":3}}"#,
                rng.decimal(intended * 13 / 10, 2),
                rng.decimal(3, 2),
                rng.pick(&["none", "none", "none", "partial", "total"]),
                rng.decimal(12, 1)
            );
        }
        C::Sirt | C::NuclearMedicineTherapy => {
            let prescribed = 1000 + rng.below(7000);
            let _ = write!(
                s,
                r#","activity":{{"prescribed_mbq":{prescribed},"delivered_mbq":{}}}"#,
                prescribed * (70 + rng.below(60)) / 100
            );
        }
        C::Diagnostic => {}
    }
    if modality.is_nuclear_medicine() && rng.below(8) == 0 {
        let _ = write!(
            s,
            r#","radiopharmaceutical":{{"intended":"Tc-99m HDP","administered":"{}"}}"#,
            rng.pick(&["99mTc-HDP", "Tc-99m MAA"])
        );
    }
    if rng.below(20) == 0 {
        let _ = write!(
            s,
            r#","foetus":{{"dose_mgy":{},"intended":false}}"#,
            rng.decimal(30, 2)
        );
    }
    if rng.below(10) == 0 {
        s.push_str(r#","clinically_significant":true"#);
    }
    s.push_str(r#","description":"Generated incident for benchmarking: the examination was repeated after an error in the request; dose estimated by the medical physics expert."}"#);
}

fn time(file: &str, with_assessment: bool) -> Result<(), String> {
    let f = std::fs::File::open(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let mut reader = BufReader::with_capacity(256 * 1024, f);
    let mut buf = Vec::with_capacity(4096);
    let settings = Settings::default();
    let (mut good, mut bad, mut notifiable) = (0u64, 0u64, 0u64);
    let start = Instant::now();
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        match parse_incident_slice(buf.trim_ascii()) {
            Ok(incident) => {
                good += 1;
                if with_assessment {
                    let a = assess(&incident, GuidanceVersion::LATEST, &settings);
                    notifiable += u64::from(a.outcome == irmer_core::Outcome::Notifiable);
                }
            }
            Err(_) => bad += 1,
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let what = if with_assessment {
        "parsed and assessed"
    } else {
        "parsed"
    };
    println!(
        "{what} {good} incidents ({bad} refused) in {secs:.3} s: {:.0} incidents/s{}",
        good as f64 / secs,
        if with_assessment {
            format!(", {notifiable} notifiable")
        } else {
            String::new()
        }
    );
    Ok(())
}

/// `load`'s arguments: `-H 'NAME: VALUE'` options, then ADDR RATE SECONDS
/// PATH….
fn load_args(args: &[&str]) -> Result<(), String> {
    let mut headers = Vec::new();
    let mut body = None;
    let mut rest = args;
    loop {
        match rest {
            ["-H", header, tail @ ..] => {
                let (name, value) = header
                    .split_once(':')
                    .ok_or_else(|| format!("-H wants 'NAME: VALUE', found {header:?}"))?;
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
                rest = tail;
            }
            ["-d", file, tail @ ..] => {
                body = Some(std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?);
                rest = tail;
            }
            _ => break,
        }
    }
    match rest {
        [addr, rate, seconds, paths @ ..] if !paths.is_empty() => {
            load(addr, rate, seconds, paths, headers, body)
        }
        _ => Err(
            "usage: irmer-bench load [-H 'NAME: VALUE']... [-d BODY_FILE] ADDR RATE SECONDS PATH..."
                .into(),
        ),
    }
}

/// Signs USER in through the web form (changing a one-time password to
/// NEW_PASSWORD when the server asks for it) and prints the Cookie header
/// that carries the session, for `load -H`.
fn session(addr: &str, user: &str, password: &str, new: Option<&str>) -> Result<(), String> {
    use irmer_web::testclient::Browser;
    let addr: std::net::SocketAddr = addr
        .parse()
        .map_err(|_| format!("ADDR must be ip:port, found {addr:?}"))?;
    if !addr.ip().is_loopback() {
        return Err("sessions are only made on loopback addresses".into());
    }
    let mut b = Browser::sign_in(addr, user, password)?;
    if b.get("/").header("location") == Some("/account/password") {
        let new = new.ok_or("the server asks for a new password: give NEW_PASSWORD")?;
        let r = b.post(
            "/account/password",
            &[
                ("current_password", password),
                ("new_password", new),
                ("confirm_password", new),
            ],
        );
        if r.status != 303 {
            return Err(format!("password change refused: {} {}", r.status, r.body));
        }
    }
    let home = b.get("/");
    if home.status != 200 {
        return Err(format!("the dashboard answered {}", home.status));
    }
    println!("Cookie: {}", b.cookie_header());
    Ok(())
}

/// CLIENTS threads signing in while `load` asks for `/healthz`: whether
/// password hashing keeps the server's other work waiting.
fn sign_ins(
    addr: &str,
    user: &str,
    password: &str,
    clients: &str,
    seconds: &str,
) -> Result<(), String> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let socket: std::net::SocketAddr = addr
        .parse()
        .map_err(|_| format!("ADDR must be ip:port, found {addr:?}"))?;
    if !socket.ip().is_loopback() {
        return Err("sign-ins are only sent to loopback addresses".into());
    }
    let clients: usize = clients
        .parse()
        .map_err(|_| "CLIENTS must be a whole number".to_owned())?;
    let stop = Arc::new(AtomicBool::new(false));
    let (signed, refused) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let first_refusal = Arc::new(std::sync::Mutex::new(None::<String>));
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (stop, signed, refused) = (stop.clone(), signed.clone(), refused.clone());
            let first_refusal = first_refusal.clone();
            let (user, password) = (user.to_owned(), password.to_owned());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match irmer_web::testclient::Browser::sign_in(socket, &user, &password) {
                        Ok(_) => signed.fetch_add(1, Ordering::Relaxed),
                        Err(e) => {
                            if let Ok(mut first) = first_refusal.lock() {
                                first.get_or_insert(e);
                            }
                            refused.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                }
            })
        })
        .collect();
    let start = Instant::now();
    let result = load(addr, "20", seconds, &["/healthz"], Vec::new(), None);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{clients} clients signing in: {} sign-ins ({:.1}/s), {} refused",
        signed.load(Ordering::Relaxed),
        signed.load(Ordering::Relaxed) as f64 / elapsed,
        refused.load(Ordering::Relaxed)
    );
    if let Some(e) = first_refusal.lock().ok().and_then(|f| f.clone()) {
        println!("first refusal: {}", e.chars().take(300).collect::<String>());
    }
    result
}

fn load(
    addr: &str,
    rate: &str,
    seconds: &str,
    paths: &[&str],
    headers: Vec<(String, String)>,
    body: Option<String>,
) -> Result<(), String> {
    let headers = std::sync::Arc::new(headers);
    let body = std::sync::Arc::new(body);
    use std::net::SocketAddr;
    use std::sync::mpsc;
    use std::time::Duration;
    let addr: SocketAddr = addr
        .parse()
        .map_err(|_| format!("ADDR must be ip:port, found {addr:?}"))?;
    if !addr.ip().is_loopback() {
        return Err("the load generator only targets loopback addresses".into());
    }
    let rate: u64 = rate
        .parse()
        .map_err(|_| "RATE must be a whole number".to_owned())?;
    let seconds: u64 = seconds
        .parse()
        .map_err(|_| "SECONDS must be a whole number".to_owned())?;
    let total = (rate * seconds).min(1_000_000);
    let interval = Duration::from_nanos(1_000_000_000 / rate.max(1));
    let workers = 32;
    let (tx, rx) = mpsc::channel::<(Instant, String)>();
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    let (done_tx, done_rx) = mpsc::channel::<Result<Duration, String>>();
    let mut handles = Vec::new();
    for _ in 0..workers {
        let rx = std::sync::Arc::clone(&rx);
        let done = done_tx.clone();
        let headers = std::sync::Arc::clone(&headers);
        let body = std::sync::Arc::clone(&body);
        handles.push(std::thread::spawn(move || {
            let headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            loop {
                let job = rx
                    .lock()
                    .map_err(|_| ())
                    .and_then(|r| r.recv().map_err(|_| ()));
                let Ok((scheduled, path)) = job else { break };
                let now = Instant::now();
                if scheduled > now {
                    std::thread::sleep(scheduled - now);
                }
                let (method, sent) = match body.as_deref() {
                    Some(b) => ("POST", b),
                    None => ("GET", ""),
                };
                let result =
                    match irmer_web::testclient::request(addr, method, &path, &headers, sent) {
                        Ok(r) if r.status == 200 || (method == "POST" && r.status == 201) => {
                            Ok(scheduled.elapsed())
                        }
                        Ok(r) => Err(format!("{} {}", r.status, path)),
                        Err(e) => Err(e.to_string()),
                    };
                let _ = done.send(result);
            }
        }));
    }
    drop(done_tx);
    let mut rng = Rng(0x5eed_1234_5678_9abc);
    let start = Instant::now() + Duration::from_millis(50);
    for k in 0..total {
        let template = paths[(k % paths.len() as u64) as usize];
        let path = template.replace("{n}", &format!("{:08}", rng.below(100_000)));
        let scheduled = start + interval * u32::try_from(k).unwrap_or(u32::MAX);
        // Hand the job over just before it is due (open loop).
        let now = Instant::now();
        if scheduled > now + Duration::from_millis(20) {
            std::thread::sleep(scheduled - now - Duration::from_millis(20));
        }
        tx.send((scheduled, path)).map_err(|e| e.to_string())?;
    }
    drop(tx);
    let mut latencies = Vec::with_capacity(total as usize);
    let mut errors = Vec::new();
    for result in done_rx {
        match result {
            Ok(d) => latencies.push(d),
            Err(e) => errors.push(e),
        }
    }
    for h in handles {
        let _ = h.join();
    }
    latencies.sort();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{} requests at {rate}/s over {elapsed:.1} s ({:.0}/s achieved), {} errors: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        errors.len(),
        pick(0.50).as_secs_f64() * 1000.0,
        pick(0.99).as_secs_f64() * 1000.0,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
    );
    if let Some(e) = errors.first() {
        println!("first error: {e}");
    }
    Ok(())
}

/// Sentences a report is made of; the last few carry identifiers.
const REPORT_SENTENCES: &[&str] = &[
    "CT head repeated on 2026-03-02 because the wrong protocol was selected: 0.5 mSv intended, 6 mSv received. ",
    "Code 2.2 applies (12x intended, at least 10x); 4.2b for the verification images; M and E were considered. ",
    "Notified to CQC on 12/03/2026; the report is due by 2026-05-25. Discovered on 3 March 2026 by the IR(ME)R lead. ",
    "The prescription of 2 Gy x 24 was transcribed as 2.2 Gy x 24: 52.8 Gy against 48 Gy (1.1x) to the PTV. ",
    "A geographical miss of 12 mm was found on fraction 3 of 20 on Linac 4 (Elekta Versa HD). ",
    "Equipment: Siemens Somatom Force in CT2 and GE Discovery 710 in Room 3; the MR scanner 2 was not involved. ",
    "DLP 1234 mGy cm, CTDIvol 12.5 mGy, 120 kV, 250 mAs. I-131 3700 MBq was given instead of 400 MBq. ",
    "The radiographer checked the request at 14:35 and the registrar reviewed the images at 15:10. ",
    "Learning was shared at the departmental meeting and the protocol names were changed on the scanner. ",
    "The patient, aged 45, was informed under the duty of candour; the referrer and practitioner were told. ",
    "Similar previous incidents: two in the last year on the same scanner, both closed locally. ",
    "The patient Jane Smith (NHS 943 476 5919) was scanned by Dr A. Khan. ",
    "Call the ward on 01632 960123 or e-mail jane.smith@nhs.net; hospital number RXH1234567. ",
];

fn scan_bench(mb: &str) -> Result<(), String> {
    let mb: usize = mb
        .parse()
        .map_err(|_| format!("MB: not a number: {mb:?}"))?;
    let want = mb * 1_000_000;
    let mut text = String::with_capacity(want + 200);
    let mut rng = Rng(11);
    let clean = REPORT_SENTENCES.len() - 2;
    while text.len() < want {
        // About one sentence in ten with identifiers.
        let i = if rng.below(10) == 0 {
            clean + rng.below(2) as usize
        } else {
            rng.below(clean as u64) as usize
        };
        text.push_str(REPORT_SENTENCES[i]);
        if rng.below(6) == 0 {
            text.push('\n');
        }
    }
    let with_rules = irmer_scan::Rules {
        hospital_numbers: vec!["RXH#######".into(), "@@######".into()],
        known_numbers: Vec::new(),
        people: ["Jane Smith", "TWIST, Oliver", "Ada Lovelace"]
            .iter()
            .map(|n| irmer_scan::Person {
                role: "patient".into(),
                name: (*n).into(),
                date_of_birth: Some((1958, 2, 3)),
            })
            .collect(),
    };
    // The same text with an en dash for each "; ": not plain ASCII, so it
    // is folded (NFKC char by char) before it is read.
    let dashed = text.replace("; ", " \u{2013} ");
    for (label, rules, text) in [
        ("no rules", irmer_scan::Rules::default(), &text),
        ("2 masks, 3 people", with_rules.clone(), &text),
        ("no rules, non-ASCII", irmer_scan::Rules::default(), &dashed),
        ("2 masks, 3 people, non-ASCII", with_rules, &dashed),
    ] {
        let scanner = irmer_scan::Scanner::new(&rules).map_err(|e| e.to_string())?;
        let mut times = Vec::new();
        let mut found = 0;
        for _ in 0..7 {
            let t = Instant::now();
            found = scanner.scan(text).len();
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let mbps = |secs: f64| text.len() as f64 / 1e6 / secs;
        println!(
            "{label}: {:.1} MB scanned, {found} findings; median {:.1} ms ({:.0} MB/s), best {:.1} ms ({:.0} MB/s)",
            text.len() as f64 / 1e6,
            times[3] * 1e3,
            mbps(times[3]),
            times[0] * 1e3,
            mbps(times[0])
        );
    }
    Ok(())
}

fn pdf_bench(n: &str) -> Result<(), String> {
    let n: usize = n.parse().map_err(|_| format!("N: not a number: {n:?}"))?;
    if n < 2 {
        return Err("N: at least 2".into());
    }
    let paragraph = REPORT_SENTENCES[..11].concat();
    let discovered = irmer_core::incident::CivilDate::parse("2025-11-02").ok_or("date")?;
    let content = irmer_report::Content {
        reference: "IR-2026-BENCH".into(),
        version: 3,
        is_final: true,
        header: vec![
            ("Incident reference", "IR-2026-BENCH".into()),
            ("Enforcing authority", "Care Quality Commission".into()),
            ("Notification codes", "2.2, M".into()),
            ("Discovered", "2026-03-02".into()),
        ],
        sections: irmer_store::report::SECTIONS
            .iter()
            .map(|s| (s, format!("{paragraph}\n\n{paragraph}")))
            .collect(),
        similar: (0..3)
            .map(|i| irmer_report::SimilarRow {
                reference: format!("IR-2025-SIM{i}"),
                discovered,
                modality: "CT",
                codes: "2.2".into(),
            })
            .collect(),
    };
    let text: usize = content.sections.iter().map(|(_, t)| t.len()).sum();
    let cleared = irmer_report::gate(content, &irmer_scan::Scanner::default(), true)
        .map_err(|f| format!("{} identifiers", f.len()))?;
    let now = time::OffsetDateTime::UNIX_EPOCH;
    let mut times = Vec::new();
    let mut size = 0;
    for i in 0..n {
        // Every report different, so that typst's caches of earlier
        // layouts do not make later ones look cheap.
        let mut c = cleared.content().clone();
        c.reference = format!("IR-2026-B{i:05}");
        for (_, text) in &mut c.sections {
            *text = format!("Report {i}. {text} Report {i}.").replace(". ", &format!(". ({i}) "));
        }
        let this = irmer_report::gate(c, &irmer_scan::Scanner::default(), true)
            .map_err(|f| format!("{} identifiers", f.len()))?;
        let t = Instant::now();
        size = irmer_pdf::pdf(&this, now)?.len();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let first = times[0];
    let mut rest = times[1..].to_vec();
    rest.sort_by(f64::total_cmp);
    println!(
        "{n} PDFs of {text} bytes of text ({} redacted), {size} bytes each: first {first:.1} ms, then median {:.1} ms, max {:.1} ms",
        cleared.redacted.len(),
        rest[rest.len() / 2],
        rest[rest.len() - 1]
    );
    Ok(())
}
