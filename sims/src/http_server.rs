//! The HTTP server under both simulators: an `axum` router served on a loopback port, one task per connection, with
//! one extra power the partners have and ordinary servers lack: a handler can **drop the connection after doing its
//! work**, so the client never sees the answer (a crash or a network cut after the partner committed).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Put into every request's extensions: calling [`ConnectionCut::cut`] closes the connection without an answer.
#[derive(Clone, Debug)]
pub struct ConnectionCut(Arc<Notify>);

impl ConnectionCut {
    /// Closes the connection; the handler should then never return (await [`std::future::pending`]).
    pub fn cut(&self) {
        self.0.notify_one();
    }
}

/// A running server; stops when dropped.
pub struct Served {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Served {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `router` on `127.0.0.1:<port>` (0 = any free port).
pub async fn serve(router: Router, port: u16) -> std::io::Result<Served> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let cut = Arc::new(Notify::new());
            let handle = ConnectionCut(cut.clone());
            let router = router.clone().layer(axum::Extension(handle));
            connections.spawn(async move {
                let service = TowerToHyperService::new(router);
                let connection =
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                tokio::select! {
                    _ = cut.notified() => {}
                    _ = connection => {}
                }
            });
            while connections.try_join_next().is_some() {}
        }
    });
    Ok(Served { addr, task })
}

/// A server that keeps every JSON body posted to `path`, for tests of webhook delivery.
pub struct Sink {
    pub served: Served,
    pub bodies: Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
}

impl Sink {
    pub async fn start(path: &str) -> Self {
        let bodies: Arc<std::sync::Mutex<Vec<serde_json::Value>>> = Arc::default();
        let keep = bodies.clone();
        let router = Router::new().route(
            path,
            axum::routing::post(move |axum::Json(body): axum::Json<serde_json::Value>| {
                let keep = keep.clone();
                async move {
                    keep.lock().unwrap_or_else(|e| e.into_inner()).push(body);
                    axum::http::StatusCode::OK
                }
            }),
        );
        let served = serve(router, 0).await.expect("a loopback port");
        Self { served, bodies }
    }

    pub fn bodies(&self) -> Vec<serde_json::Value> {
        self.bodies.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
