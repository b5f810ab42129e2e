//! Bounds on what a connection may hold without using it (DESIGN.md §8), shared by the
//! gateway's HTTP server and the gRPC servers of the `difacto` binary.
//!
//! A connection is either *busy* (a request is in flight), *awaiting* a request (it was
//! just opened, or an HTTP/1 client has begun sending the next request) or *idle*. An
//! awaiting connection must have sent a complete request head within
//! [`Bounds::request_head`] (10 s: a slowloris sending a header line every few seconds,
//! or an HTTP/2 client that sends its preface and then nothing, is closed); an idle one is
//! closed after [`Bounds::idle`] (60 s). A busy connection is never cut: a slow query or
//! a long subscription is not an attack on the connection table.
//!
//! hyper cannot say this by itself: its HTTP/1 `header_read_timeout` also runs while a
//! keep-alive connection is idle (so idle connections would close after 10 s, not 60 s),
//! and neither hyper nor tonic bounds an HTTP/2 connection that never completes its
//! preface or never sends a request. So the socket is wrapped ([`Bounded`]): reads are
//! watched, the service wrapper marks requests in and out ([`Activity::request`]), and a
//! read that is still waiting when the deadline passes fails with `TimedOut`, which
//! closes the connection. Nothing is in flight at that moment, so nothing is lost.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::task::AtomicWaker;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// How long a connection may go without a request (DESIGN.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// From the opening of a connection, or from the first byte an HTTP/1 client sends
    /// after an idle spell, to the end of the request's head.
    pub request_head: Duration,
    /// From the end of the last request to the next one.
    pub idle: Duration,
}

impl Default for Bounds {
    /// DESIGN.md §8: headers within 10 s, idle keep-alive connections closed after 60 s.
    fn default() -> Self {
        Self {
            request_head: Duration::from_secs(10),
            idle: Duration::from_secs(60),
        }
    }
}

/// "Not set" in the millisecond fields of [`Activity`].
const NONE: u64 = u64::MAX;

/// What one connection is doing, shared by its socket wrapper and its requests.
#[derive(Debug)]
pub struct Activity {
    /// The clock's origin for the millisecond fields below.
    opened: Instant,
    /// Requests begun and not yet answered in full (their response bodies not dropped).
    in_flight: AtomicUsize,
    /// When the connection began awaiting a request head (ms since `opened`), or
    /// [`NONE`] while it is idle or busy. Set at opening, so the first request is bounded.
    awaiting_since: AtomicU64,
    /// When the last request ended (ms since `opened`).
    idle_since: AtomicU64,
    /// HTTP/2: bytes between requests are pings and window updates, not a request's
    /// beginning, so they do not start the request-head clock.
    multiplexed: AtomicBool,
    /// The connection was handed to another protocol (a websocket): no more bounds here.
    upgraded: AtomicBool,
    /// The task reading the socket, woken when the last request ends so that it arms the
    /// idle deadline (HTTP/2 may be parked on a read that had no deadline).
    reader: AtomicWaker,
}

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            in_flight: AtomicUsize::new(0),
            awaiting_since: AtomicU64::new(0),
            idle_since: AtomicU64::new(0),
            multiplexed: AtomicBool::new(false),
            upgraded: AtomicBool::new(false),
            reader: AtomicWaker::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(NONE - 1)
    }

    /// A request's head has arrived: the connection is busy until the returned guard
    /// is dropped (keep it with the response body). `http2` stops bytes between
    /// requests from counting as the start of one.
    pub fn request(self: &Arc<Self>, http2: bool) -> RequestGuard {
        if http2 {
            self.multiplexed.store(true, Ordering::Relaxed);
        }
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.awaiting_since.store(NONE, Ordering::Release);
        RequestGuard {
            activity: self.clone(),
        }
    }

    /// The connection now speaks another protocol (HTTP 101): stop bounding it here.
    pub fn upgraded(&self) {
        self.upgraded.store(true, Ordering::Release);
    }

    fn bytes_arrived(&self) {
        if self.in_flight.load(Ordering::Acquire) == 0 && !self.multiplexed.load(Ordering::Relaxed)
        {
            let now = self.now_ms();
            // Only the first byte after an idle spell starts the clock.
            let _ = self.awaiting_since.compare_exchange(
                NONE,
                now,
                Ordering::AcqRel,
                Ordering::Relaxed,
            );
        }
    }

    /// When the connection must be closed if nothing changes, and why; `None` while a
    /// request is in flight or after an upgrade.
    fn deadline(&self, bounds: &Bounds) -> Option<(Instant, &'static str)> {
        if self.upgraded.load(Ordering::Acquire) || self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let awaiting = self.awaiting_since.load(Ordering::Acquire);
        if awaiting != NONE {
            let at = self.opened + Duration::from_millis(awaiting) + bounds.request_head;
            return Some((at, "no complete request head in time"));
        }
        let idle = self.idle_since.load(Ordering::Acquire);
        Some((
            self.opened + Duration::from_millis(idle) + bounds.idle,
            "idle for too long",
        ))
    }
}

/// Keeps a connection busy while it lives; dropped with the response body.
#[derive(Debug)]
pub struct RequestGuard {
    activity: Arc<Activity>,
}

impl RequestGuard {
    /// `body`, holding this guard until its last frame has been sent (or it is dropped):
    /// the connection stays busy for the whole answer, a stream included.
    pub fn held_by<B>(self, body: B) -> impl hyper::body::Body<Data = B::Data, Error = B::Error>
    where
        B: hyper::body::Body,
    {
        use http_body_util::BodyExt;
        body.map_frame(move |frame| {
            let _held = &self;
            frame
        })
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let activity = &self.activity;
        let now = activity.now_ms();
        activity.idle_since.store(now, Ordering::Release);
        if activity.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            activity.reader.wake();
        }
    }
}

/// A socket whose reads fail with `TimedOut` once the connection has awaited a request
/// head, or idled, past its [`Bounds`].
#[derive(Debug)]
pub struct Bounded<IO> {
    inner: IO,
    activity: Arc<Activity>,
    bounds: Bounds,
    /// Re-armed on every pending read to the current deadline.
    timer: Pin<Box<Sleep>>,
}

impl<IO> Bounded<IO> {
    /// Starts the clock: the first request head is due within `bounds.request_head`.
    pub fn new(inner: IO, bounds: Bounds) -> Self {
        let activity = Arc::new(Activity::new());
        let timer = Box::pin(tokio::time::sleep_until(
            activity.opened + bounds.request_head,
        ));
        Self {
            inner,
            activity,
            bounds,
            timer,
        }
    }

    /// Shared with the connection's requests (see [`Activity::request`]).
    pub fn activity(&self) -> &Arc<Activity> {
        &self.activity
    }

    pub fn get_ref(&self) -> &IO {
        &self.inner
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Bounded<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.activity.bytes_arrived();
                }
                return Poll::Ready(Ok(()));
            }
            Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
            Poll::Pending => {}
        }
        this.activity.reader.register(cx.waker());
        let Some((deadline, reason)) = this.activity.deadline(&this.bounds) else {
            return Poll::Pending;
        };
        if this.timer.deadline() != deadline {
            this.timer.as_mut().reset(deadline);
        }
        match this.timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                tracing::debug!(reason, "closing a connection");
                Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, reason)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Bounded<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// What tonic puts into each request's extensions for a [`Bounded`] TCP connection: the
/// peer's address, and the activity its requests mark themselves in.
#[derive(Debug, Clone)]
pub struct BoundedConnectInfo {
    pub tcp: tonic::transport::server::TcpConnectInfo,
    pub activity: Arc<Activity>,
}

impl tonic::transport::server::Connected for Bounded<tokio::net::TcpStream> {
    type ConnectInfo = BoundedConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        BoundedConnectInfo {
            tcp: tonic::transport::server::Connected::connect_info(&self.inner),
            activity: self.activity.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn short() -> Bounds {
        Bounds {
            request_head: Duration::from_millis(200),
            idle: Duration::from_millis(600),
        }
    }

    /// A bounded server end and the client end of one loopback connection.
    async fn pair() -> (Bounded<tokio::net::TcpStream>, tokio::net::TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let client = tokio::net::TcpStream::connect(listener.local_addr().expect("addr"));
        let (client, accepted) = tokio::join!(client, listener.accept());
        let (server, _) = accepted.expect("accept");
        (Bounded::new(server, short()), client.expect("connect"))
    }

    /// [`pair`], once the server end has read a whole request head.
    async fn pair_after_a_request_head() -> (Bounded<tokio::net::TcpStream>, tokio::net::TcpStream)
    {
        let (mut server, mut client) = pair().await;
        let head = b"GET / HTTP/1.1\r\n\r\n";
        client.write_all(head).await.expect("send");
        let mut buf = [0u8; 64];
        server
            .read_exact(&mut buf[..head.len()])
            .await
            .expect("the head");
        (server, client)
    }

    async fn read_result(
        server: &mut Bounded<tokio::net::TcpStream>,
    ) -> (io::Result<usize>, Duration) {
        let started = Instant::now();
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(Duration::from_secs(5), server.read(&mut buf))
            .await
            .expect("the read must end by itself");
        (read, started.elapsed())
    }

    #[tokio::test]
    async fn a_silent_connection_is_closed_after_the_request_head_bound() {
        let (mut server, _client) = pair().await;
        let (read, took) = read_result(&mut server).await;
        assert_eq!(read.expect_err("times out").kind(), io::ErrorKind::TimedOut);
        assert!(took < Duration::from_millis(500), "{took:?}");
    }

    #[tokio::test]
    async fn a_busy_connection_is_never_cut_and_then_idles_out() {
        let (mut server, _client) = pair_after_a_request_head().await;
        let mut buf = [0u8; 64];
        let guard = server.activity().request(false);
        // Far past the head bound while busy: the read stays pending.
        let waited = tokio::time::timeout(Duration::from_millis(400), server.read(&mut buf)).await;
        assert!(waited.is_err(), "a busy connection was cut: {waited:?}");
        drop(guard);
        let (read, took) = read_result(&mut server).await;
        assert_eq!(read.expect_err("idles out").kind(), io::ErrorKind::TimedOut);
        assert!(
            took >= Duration::from_millis(500) && took < Duration::from_millis(1200),
            "closed after {took:?}, the idle bound is 600 ms"
        );
    }

    #[tokio::test]
    async fn a_byte_after_an_idle_spell_starts_the_head_clock() {
        let (mut server, mut client) = pair_after_a_request_head().await;
        let mut buf = [0u8; 64];
        drop(server.activity().request(false));
        client.write_all(b"G").await.expect("send a byte");
        server.read_exact(&mut buf[..1]).await.expect("the byte");
        let (read, took) = read_result(&mut server).await;
        assert_eq!(read.expect_err("times out").kind(), io::ErrorKind::TimedOut);
        assert!(
            took < Duration::from_millis(450),
            "{took:?}: the head bound is 200 ms"
        );
    }

    #[tokio::test]
    async fn http2_bytes_between_requests_do_not_start_the_head_clock() {
        let (mut server, mut client) = pair().await;
        client.write_all(b"x").await.expect("send");
        let mut buf = [0u8; 64];
        server.read_exact(&mut buf[..1]).await.expect("a byte");
        drop(server.activity().request(true));
        client.write_all(b"ping").await.expect("send a ping");
        server.read_exact(&mut buf[..4]).await.expect("the ping");
        let (read, took) = read_result(&mut server).await;
        assert_eq!(read.expect_err("idles out").kind(), io::ErrorKind::TimedOut);
        assert!(
            took >= Duration::from_millis(450),
            "{took:?}: the idle bound is 600 ms"
        );
    }

    #[tokio::test]
    async fn an_upgraded_connection_is_not_bounded() {
        let (mut server, _client) = pair().await;
        let guard = server.activity().request(false);
        server.activity().upgraded();
        drop(guard);
        let mut buf = [0u8; 8];
        let waited = tokio::time::timeout(Duration::from_millis(900), server.read(&mut buf)).await;
        assert!(
            waited.is_err(),
            "an upgraded connection was cut: {waited:?}"
        );
    }
}
