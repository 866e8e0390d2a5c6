//! The server's accept loop: HTTP/1.1 over hyper, with limits on what a
//! stranger's connections can hold.
//!
//! - A request's headers must arrive within [`Limits::header_read`] of the
//!   connection opening or of the previous response (hyper's header-read
//!   timer, which also closes idle keep-alive connections).
//! - A request must be answered within [`Limits::request`] (its body read
//!   and its handler run), else 408.
//! - At most [`Limits::max_connections`] connections are open at once,
//!   below the process's open-file limit. A connection over the cap closes
//!   the one that has waited longest without a request under way; only
//!   when every connection is answering a request is the new one closed.
//!
//! So a normal request is answered while thousands of idle or slow
//! connections are open.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, StatusCode};
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Notify, watch};

use crate::Problem;

/// What one server allows its connections.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub header_read: Duration,
    pub request: Duration,
    pub max_connections: usize,
}

impl Limits {
    /// Files the process keeps for itself (database, logs, the listener).
    const RESERVED_FILES: usize = 64;

    /// 10 s for headers, 60 s for a request, and connections up to the
    /// process's open-file limit less what it keeps for itself (at most
    /// 10,000).
    pub fn for_this_process() -> Limits {
        Limits {
            header_read: Duration::from_secs(10),
            request: Duration::from_secs(60),
            max_connections: open_file_limit()
                .saturating_sub(Self::RESERVED_FILES)
                .clamp(16, 10_000),
        }
    }
}

/// The soft limit on open files, from /proc (1,024, the usual default,
/// where it cannot be read).
pub fn open_file_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(1024)
}

/// One open connection as the accept loop sees it.
struct Entry {
    /// Requests under way (from their headers to the end of their body).
    busy: usize,
    /// Since when it has had none.
    idle_since: Instant,
    close: Arc<Notify>,
}

#[derive(Default)]
struct Connections {
    next: u64,
    open: HashMap<u64, Entry>,
}

type Shared = Arc<Mutex<Connections>>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Connections> {
    // A panic elsewhere must not stop the server taking connections.
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Connections {
    /// Makes room for one more: closes the connection idle longest, if
    /// any; false when every open connection is answering a request.
    fn make_room(&mut self, cap: usize) -> bool {
        if self.open.len() < cap {
            return true;
        }
        let oldest = self
            .open
            .iter()
            .filter(|(_, e)| e.busy == 0)
            .min_by_key(|(_, e)| e.idle_since)
            .map(|(id, _)| *id);
        match oldest.and_then(|id| self.open.remove(&id)) {
            Some(entry) => {
                entry.close.notify_one();
                true
            }
            None => false,
        }
    }

    fn busy(&mut self, id: u64, delta: isize) {
        if let Some(e) = self.open.get_mut(&id) {
            e.busy = e.busy.saturating_add_signed(delta);
            if e.busy == 0 {
                e.idle_since = Instant::now();
            }
        }
    }
}

/// Marks a connection's request done when the response body is dropped
/// (sent, or the connection gone).
struct BusyGuard {
    shared: Shared,
    id: u64,
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        lock(&self.shared).busy(self.id, -1);
    }
}

/// A response body that holds its connection's busy mark.
struct Tracked {
    inner: Body,
    _guard: BusyGuard,
}

impl http_body::Body for Tracked {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Serves `router` on `listener` until `stop` resolves, then finishes the
/// requests under way and closes idle connections.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let shared: Shared = Arc::default();
    let (stopping, stopped) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of files or a connection reset before accept:
                    // wait a moment rather than spin.
                    if !matches!(e.kind(), std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::ConnectionReset) {
                        eprintln!("irmer: accept: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    continue;
                }
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
        };
        let (id, close) = {
            let mut conns = lock(&shared);
            if !conns.make_room(limits.max_connections) {
                drop(stream);
                continue;
            }
            conns.next += 1;
            let id = conns.next;
            let close = Arc::new(Notify::new());
            conns.open.insert(
                id,
                Entry {
                    busy: 0,
                    idle_since: Instant::now(),
                    close: close.clone(),
                },
            );
            (id, close)
        };
        // TCP_NODELAY: a response written in several segments is sent at
        // once rather than held back for the client's acknowledgement.
        let _ = stream.set_nodelay(true);
        let service = {
            let shared = shared.clone();
            let router = router.clone();
            hyper::service::service_fn(move |request: Request<Incoming>| {
                let shared = shared.clone();
                let router = router.clone();
                async move {
                    lock(&shared).busy(id, 1);
                    let guard = BusyGuard { shared, id };
                    Ok::<_, Infallible>(answer(router, request, peer, limits, guard).await)
                }
            })
        };
        let stopped = stopped.clone();
        let shared = shared.clone();
        tasks.spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = close.notified() => {}
                () = until_stopped(stopped) => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            lock(&shared).open.remove(&id);
        });
    }
    let _ = stopping.send(true);
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// Resolves when the server is stopping.
async fn until_stopped(mut stopped: watch::Receiver<bool>) {
    loop {
        if *stopped.borrow_and_update() {
            return;
        }
        if stopped.changed().await.is_err() {
            return;
        }
    }
}

/// Runs one request through the router within the request time limit.
async fn answer(
    router: Router,
    mut request: Request<Incoming>,
    peer: SocketAddr,
    limits: Limits,
    guard: BusyGuard,
) -> Response<Tracked> {
    use tower_service::Service as _;
    request.extensions_mut().insert(ConnectInfo(peer));
    let mut router = router;
    let response = match tokio::time::timeout(limits.request, router.call(request)).await {
        Ok(Ok(response)) => response,
        Ok(Err(never)) => match never {},
        Err(_) => Problem::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "The request took too long",
            format!(
                "a request must be sent and answered within {} s",
                limits.request.as_secs()
            ),
        )
        .into_response(),
    };
    response.map(|inner| Tracked {
        inner,
        _guard: guard,
    })
}
