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
                let app = crate::App::new(irmer_store::testsuite::register(store.clone()));
                let tokens = seed(&app).await;
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                let addr = listener.local_addr().expect("address");
                let _ = tx.send(Some(Server { addr, tokens }));
                axum::serve(listener, crate::router(app))
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
            .add_user("test", now, name, "", *role, *department)
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
