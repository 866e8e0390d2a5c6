//! A minimal blocking HTTP/1.1 client for tests (std only): one request a
//! connection, `Connection: close`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A response: status, headers (names lower-cased) and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (panics with the body if it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    let typed = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
    if !body.is_empty() && !typed {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    // Read to the end of the body: by its Content-Length when given (a
    // server may keep the connection open regardless), else to the close.
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            if length.is_some_and(|len| raw.len() >= end + 4 + len) {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line in {head:?}")))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(Response {
        status,
        headers,
        body: body.to_owned(),
    })
}

/// A person with a browser: keeps cookies, sends forms (panics if the
/// server cannot be reached: a helper for tests and benchmarks).
pub struct Browser {
    pub addr: SocketAddr,
    pub cookies: Vec<(String, String)>,
    /// Headers sent with every request (as a proxy in front would add).
    pub headers: Vec<(String, String)>,
}

impl Browser {
    pub fn new(addr: SocketAddr) -> Self {
        Browser {
            addr,
            cookies: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// The Cookie header this browser sends.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn send(&mut self, method: &str, path: &str, form: &[(&str, &str)]) -> Response {
        let cookie = self.cookie_header();
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut headers = vec![("Cookie", cookie.as_str())];
        headers.extend(self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        if method == "POST" {
            headers.push(("Content-Type", "application/x-www-form-urlencoded"));
        }
        let r = request(self.addr, method, path, &headers, &body).expect("request");
        for (name, value) in &r.headers {
            if name == "set-cookie" {
                let pair = value.split(';').next().unwrap_or_default();
                if let Some((n, v)) = pair.split_once('=') {
                    self.cookies.retain(|(k, _)| k != n);
                    if !v.is_empty() {
                        self.cookies.push((n.to_owned(), v.to_owned()));
                    }
                }
            }
        }
        r
    }

    pub fn get(&mut self, path: &str) -> Response {
        self.send("GET", path, &[])
    }

    /// Posts a form with this session's CSRF token.
    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Response {
        let csrf = self.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(form);
        self.send("POST", path, &all)
    }

    /// This session's CSRF token (read from the password page's form).
    pub fn csrf(&mut self) -> String {
        let page = self.get("/account/password");
        hidden(&page.body, "csrf").unwrap_or_default()
    }

    /// Signs in through the sign-in form; fails with the page's status and
    /// body unless the server answers with the redirect that follows a
    /// sign-in (to `/`, or to the password page after a one-time password).
    pub fn sign_in(addr: SocketAddr, user: &str, password: &str) -> Result<Browser, String> {
        Browser::new(addr).sign_in_as(user, password)
    }

    /// [`Browser::sign_in`] with this browser (its cookies and headers).
    pub fn sign_in_as(self, user: &str, password: &str) -> Result<Browser, String> {
        let mut b = self;
        let page = b.get("/sign-in");
        let csrf = hidden(&page.body, "csrf")
            .ok_or_else(|| format!("no sign-in form: {} {}", page.status, page.body))?;
        let r = b.send(
            "POST",
            "/sign-in",
            &[
                ("csrf", &csrf),
                ("next", "/"),
                ("username", user),
                ("password", password),
            ],
        );
        match (r.status, r.header("location")) {
            (303, Some("/" | "/account/password")) => Ok(b),
            _ => Err(format!("sign-in refused: {} {}", r.status, r.body)),
        }
    }
}

/// The value of the first hidden input called `name`.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    html.split(&marker)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
}

/// A server for tests, on its own thread and runtime, with an organisation
/// set up: one site, departments 1 (Radiology) and 2 (Radiotherapy), and a
/// user of each kind, each with the password `password-NAME` and an API
/// token:
///
/// | user      | role          | department |
/// |-----------|---------------|------------|
/// | admin     | administrator | (all)      |
/// | api-test  | investigator  | (all)      |
/// | inv       | investigator  | 1          |
/// | inv2      | investigator  | 2          |
/// | adv       | adviser       | 1          |
/// | rep       | reporter      | 1          |
/// | rep2      | reporter      | 1          |
/// | aud       | auditor       | (all)      |
pub struct Server {
    pub addr: SocketAddr,
    /// Each user's API token.
    pub tokens: std::collections::HashMap<String, String>,
}

pub const TEST_USERS: &[(&str, irmer_store::accounts::Role, Option<i64>)] = {
    use irmer_store::accounts::Role::*;
    &[
        ("admin", Administrator, None),
        ("api-test", Investigator, None),
        ("inv", Investigator, Some(1)),
        ("inv2", Investigator, Some(2)),
        ("adv", Adviser, Some(1)),
        ("rep", Reporter, Some(1)),
        ("rep2", Reporter, Some(1)),
        ("aud", Auditor, None),
    ]
};

impl Server {
    /// Starts the server on a store made by `make` (`None`: not available).
    pub fn start<S, F, Fut>(make: F) -> Option<Server>
    where
        S: irmer_store::Store + irmer_store::accounts::AccountStore,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Option<S>>,
    {
        Self::start_with(make, |_| {})
    }

    /// Starts the server as [`Server::start`], with the application's
    /// settings changed by `configure` first.
    pub fn start_with<S, F, Fut>(
        make: F,
        configure: impl FnOnce(&mut crate::App<S>) + Send + 'static,
    ) -> Option<Server>
    where
        S: irmer_store::Store + irmer_store::accounts::AccountStore,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Option<S>>,
    {
        Self::start_routed(make, configure, crate::router)
    }

    /// Starts a server whose router `route` makes from the application
    /// (another crate's server on the same accounts: the authority's).
    pub fn start_routed<S, F, Fut>(
        make: F,
        configure: impl FnOnce(&mut crate::App<S>) + Send + 'static,
        route: impl FnOnce(crate::App<S>) -> axum::Router + Send + 'static,
    ) -> Option<Server>
    where
        S: irmer_store::Store + irmer_store::accounts::AccountStore,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Option<S>>,
    {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let Some(store) = make().await else {
                    let _ = tx.send(None);
                    return;
                };
                let mut app = crate::App::new(irmer_store::testsuite::register(store.clone()));
                configure(&mut app);
                let tokens = seed(&app).await;
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                let addr = listener.local_addr().expect("address");
                let _ = tx.send(Some(Server { addr, tokens }));
                crate::server::serve(
                    listener,
                    route(app),
                    crate::server::Limits::for_this_process(),
                    std::future::pending(),
                )
                .await
                .expect("serve");
            });
        });
        rx.recv().expect("server thread")
    }

    /// A request as `user` (with their API token).
    pub fn api(&self, user: &str, method: &str, path: &str, body: &str) -> Response {
        let auth = format!("Bearer {}", self.tokens[user]);
        request(self.addr, method, path, &[("Authorization", &auth)], body).expect("request")
    }
}

async fn seed<S: irmer_store::Store + irmer_store::accounts::AccountStore>(
    app: &crate::App<S>,
) -> std::collections::HashMap<String, String> {
    let store = app.accounts.store();
    let site = store.create_site("Royal Infirmary").await.expect("site");
    let d1 = store
        .create_department(site.id, "Radiology")
        .await
        .expect("dept");
    let d2 = store
        .create_department(site.id, "Radiotherapy")
        .await
        .expect("dept");
    assert_eq!((d1.id, d2.id), (1, 2), "department ids");
    let now = app.register.now();
    let mut tokens = std::collections::HashMap::new();
    for (name, role, department) in TEST_USERS {
        let (mut user, _) = app
            .accounts
            .add_user(
                "test",
                now,
                irmer_store::accounts::Newcomer {
                    username: name,
                    display_name: "",
                    role: *role,
                    department_id: *department,
                    email: "",
                },
            )
            .await
            .expect("user");
        user.display_name = format!("Test {name}");
        user.password_hash =
            Some(irmer_store::accounts::hash_password(&format!("password-{name}")).expect("hash"));
        user.must_change_password = false;
        store.update_user(&user).await.expect("update");
        let token = app
            .accounts
            .create_token("test", &user, "tests", now)
            .await
            .expect("token");
        tokens.insert((*name).to_owned(), token);
    }
    tokens
}
