//! Operating difacto across processes: the log, a domain service and the gateway run as
//! separate processes with `DIFACTO_LOG_FORMAT=json`, and
//! - every line each writes is one JSON object, and `/metrics`, `/healthz` and `/readyz`
//!   answer on each, counting the calls it served;
//! - with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at an OTLP/HTTP receiver inside this
//!   test, one mutation sent with a `traceparent` is one trace: the gateway's request,
//!   the service's call, the log's append and the gateway's projection of the event all
//!   carry its trace id, the service's span is a child of the gateway's, and the stored
//!   event's metadata names the service's span.

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use auth::Role;
use bytes::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use prost::Message;
use serde_json::{Value, json};
use support::gateway::exchanged;

const READY_TIMEOUT: Duration = Duration::from_secs(30);
const SPAN_TIMEOUT: Duration = Duration::from_secs(20);

/// One `difacto` process whose stderr is kept, line by line.
struct Process {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    /// The `fields` of its ready line.
    ready: Value,
}

impl Process {
    /// Starts `difacto <args>` with `env` and waits for a JSON line whose message is
    /// `ready_message`.
    fn start(args: &[&str], env: &[(&str, &str)], ready_message: &str) -> Process {
        let ready_message = ready_message.to_owned();
        let started = support::start_until_ready(args, env, move |line| {
            serde_json::from_str::<Value>(line)
                .is_ok_and(|parsed| parsed["fields"]["message"] == ready_message.as_str())
        });
        let ready: Value = serde_json::from_str(&started.ready).expect("a JSON ready line");
        Process {
            child: started.child,
            lines: started.stderr,
            ready: ready["fields"].clone(),
        }
    }

    fn addr(&self, field: &str) -> String {
        self.ready[field]
            .as_str()
            .unwrap_or_else(|| panic!("no {field} in the ready line: {}", self.ready))
            .to_owned()
    }

    /// SIGTERM, then the exit (within 15 s).
    fn stop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "exit after SIGTERM: {status:?}");
                // The draining thread reads the last lines.
                std::thread::sleep(Duration::from_millis(100));
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("no exit within 15 s of SIGTERM");
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The log, the ICB service and a gateway, each its own process, on `dir`.
struct Cluster {
    log: Process,
    icb: Process,
    gateway: Process,
}

fn start(dir: &Path, env: &[(&str, &str)]) -> Cluster {
    let data = dir.to_string_lossy().into_owned();
    let gateway_data = dir.join("gateway").to_string_lossy().into_owned();
    let any = "127.0.0.1:0";
    // The services listen for gRPC and their probes on free ports.
    let ports = ["--grpc-addr", any, "--metrics-addr", any];
    let log = Process::start(
        &[&["serve", "log", "--data-dir", &data][..], &ports].concat(),
        env,
        "difacto log ready",
    );
    let log_url = format!("grpc://{}", log.addr("grpc_addr"));
    let icb = Process::start(
        &[
            &["serve", "icb", "--log", &log_url, "--data-dir", &data][..],
            &ports,
        ]
        .concat(),
        env,
        "difacto ready",
    );
    let services = format!("http://{}", icb.addr("grpc_addr"));
    let gateway = Process::start(
        &[
            "serve",
            "gateway",
            "--log",
            &log_url,
            "--services",
            &services,
            "--data-dir",
            &gateway_data,
            "--http-addr",
            any,
        ],
        env,
        "difacto gateway ready",
    );
    Cluster { log, icb, gateway }
}

/// One HTTP/1.1 exchange with `headers`; the status and the body.
async fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr)
        .header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let (head, body) = exchanged(addr, request, body.to_owned()).await;
    let status = head.status.as_u16();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Registers NHS England through the gateway, sending `traceparent` when given.
async fn register_national(gateway: &str, traceparent: Option<&str>) -> Value {
    let token = support::gateway::token("X24", Role::NationalLead);
    let query = "mutation($input: RegisterOrganisationInput!) { registerOrganisation(input: $input) { aggregateId eventIds lastPosition } }";
    let body = json!({
        "query": query,
        "variables": { "input": {
            "code": "X24", "kind": "NATIONAL", "name": "NHS England", "effectiveDate": "2020-01-01",
        }},
    });
    let authorization = format!("Bearer {token}");
    let mut headers = vec![("authorization", authorization.as_str())];
    if let Some(traceparent) = traceparent {
        headers.push(("traceparent", traceparent));
    }
    let (status, text) = http(gateway, "POST", "/graphql", &headers, &body.to_string()).await;
    let answer: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status} {text}: {e}"));
    assert!(
        answer.get("errors").is_none(),
        "the mutation failed: {answer}"
    );
    answer["data"]["registerOrganisation"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_json_lines_and_every_process_serves_metrics_health_and_readiness() {
    let dir = tempfile::tempdir().expect("dir");
    let mut cluster = start(dir.path(), &[("DIFACTO_LOG_FORMAT", "json")]);
    let gateway = cluster.gateway.addr("http_addr");
    register_national(&gateway, None).await;

    let probes = [
        ("log", cluster.log.addr("metrics_addr")),
        ("icb", cluster.icb.addr("metrics_addr")),
        ("gateway", gateway.clone()),
    ];
    for (name, addr) in &probes {
        let (status, _) = http(addr, "GET", "/healthz", &[], "").await;
        assert_eq!(status, 200, "{name} /healthz");
        // Ready once the log answers (services) or the read models caught up (gateway).
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let (status, body) = http(addr, "GET", "/readyz", &[], "").await;
            if status == 200 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{name} /readyz stays {status}: {body}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // Each process counts the calls it served: the service the command, the log the
    // append (and the service's reads), the gateway the GraphQL request.
    let metrics = |addr: String| async move { http(&addr, "GET", "/metrics", &[], "").await };
    let (status, icb) = metrics(probes[1].1.clone()).await;
    assert_eq!(status, 200);
    assert!(
        icb.contains(r#"difacto_grpc_requests_total{service="difacto.v1.IcbService",method="RegisterOrganisation",code="0"} 1"#),
        "icb /metrics:\n{icb}"
    );
    assert!(
        icb.contains("difacto_grpc_request_seconds_bucket"),
        "icb /metrics:\n{icb}"
    );
    let (status, log) = metrics(probes[0].1.clone()).await;
    assert_eq!(status, 200);
    assert!(
        log.contains(r#"service="difacto.v1.EventLogService",method="Append",code="0""#),
        "log /metrics:\n{log}"
    );
    let (status, gw) = metrics(gateway.clone()).await;
    assert_eq!(status, 200);
    assert!(
        gw.contains(r#"difacto_gateway_graphql_requests_total{outcome="ok"}"#),
        "gateway /metrics:\n{gw}"
    );

    for (name, process) in [
        ("log", &mut cluster.log),
        ("icb", &mut cluster.icb),
        ("gateway", &mut cluster.gateway),
    ] {
        process.stop();
        let lines = process.lines();
        assert!(lines.len() >= 2, "{name} wrote {} lines", lines.len());
        for line in &lines {
            let parsed: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{name} wrote a line that is not JSON ({e}): {line}"));
            assert!(
                parsed["level"].is_string() && parsed["timestamp"].is_string(),
                "{name}: {line}"
            );
            assert!(parsed["fields"].is_object(), "{name}: {line}");
        }
    }
}

/// One span as the receiver got it.
#[derive(Debug, Clone)]
struct Span {
    service: String,
    name: String,
    trace_id: String,
    span_id: String,
    parent_span_id: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An OTLP/HTTP receiver (protobuf) on loopback, keeping every span it is sent.
async fn receiver() -> (String, Arc<Mutex<Vec<Span>>>) {
    let spans = Arc::new(Mutex::new(Vec::new()));
    let kept = spans.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: Bytes| {
            let kept = kept.clone();
            async move {
                let Ok(request) = ExportTraceServiceRequest::decode(body) else {
                    return (axum::http::StatusCode::BAD_REQUEST, Vec::new());
                };
                let mut got = Vec::new();
                for resource in request.resource_spans {
                    let service = resource
                        .resource
                        .iter()
                        .flat_map(|r| &r.attributes)
                        .find(|a| a.key == "service.name")
                        .and_then(|a| a.value.as_ref()?.value.as_ref())
                        .map(|v| match v {
                            AnyValue::StringValue(s) => s.clone(),
                            other => format!("{other:?}"),
                        })
                        .unwrap_or_default();
                    for scope in resource.scope_spans {
                        for span in scope.spans {
                            got.push(Span {
                                service: service.clone(),
                                name: span.name,
                                trace_id: hex(&span.trace_id),
                                span_id: hex(&span.span_id),
                                parent_span_id: hex(&span.parent_span_id),
                            });
                        }
                    }
                }
                if let Ok(mut spans) = kept.lock() {
                    spans.extend(got);
                }
                (
                    axum::http::StatusCode::OK,
                    ExportTraceServiceResponse::default().encode_to_vec(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), spans)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_mutation_is_one_trace_from_the_gateway_through_the_service_into_the_log() {
    let (endpoint, spans) = receiver().await;
    let dir = tempfile::tempdir().expect("dir");
    let env = [
        ("DIFACTO_LOG_FORMAT", "json"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        // Export within a tenth of a second rather than the default five.
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ];
    let cluster = start(dir.path(), &env);
    let gateway = cluster.gateway.addr("http_addr");

    // When one mutation is sent in a trace the client started,
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let result =
        register_national(&gateway, Some(&format!("00-{trace}-00f067aa0ba902b7-01"))).await;

    // then the gateway, the service, the log and the projection all report spans in it.
    let wanted = [
        ("difacto-gateway", "graphql"),
        ("difacto-icb", "difacto.v1.IcbService/RegisterOrganisation"),
        ("difacto-log", "difacto.v1.EventLogService/Append"),
        ("difacto-gateway", "projection.apply"),
    ];
    let deadline = Instant::now() + SPAN_TIMEOUT;
    let in_trace = loop {
        let in_trace: Vec<Span> = spans
            .lock()
            .map(|s| s.iter().filter(|s| s.trace_id == trace).cloned().collect())
            .unwrap_or_default();
        let missing: Vec<_> = wanted
            .iter()
            .filter(|(service, name)| {
                !in_trace
                    .iter()
                    .any(|s| s.service == *service && s.name == *name)
            })
            .collect();
        if missing.is_empty() {
            break in_trace;
        }
        assert!(
            Instant::now() < deadline,
            "no spans {missing:?} in trace {trace} within {SPAN_TIMEOUT:?}; got {:#?}",
            spans.lock().map(|s| s.clone()).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let find = |service: &str, name: &str| {
        in_trace
            .iter()
            .find(|s| s.service == service && s.name == name)
            .cloned()
            .expect("found above")
    };
    let request = find("difacto-gateway", "graphql");
    assert_eq!(
        request.parent_span_id, "00f067aa0ba902b7",
        "the gateway continues the client's trace"
    );
    let gateway_ids: Vec<&str> = in_trace
        .iter()
        .filter(|s| s.service == "difacto-gateway")
        .map(|s| s.span_id.as_str())
        .collect();
    let call = find("difacto-icb", "difacto.v1.IcbService/RegisterOrganisation");
    assert!(
        gateway_ids.contains(&call.parent_span_id.as_str()),
        "the service's span is a child of the gateway's: {call:?}"
    );
    let icb_ids: Vec<&str> = in_trace
        .iter()
        .filter(|s| s.service == "difacto-icb")
        .map(|s| s.span_id.as_str())
        .collect();
    let append = find("difacto-log", "difacto.v1.EventLogService/Append");
    assert!(
        icb_ids.contains(&append.parent_span_id.as_str()),
        "the log's append is a child of the service's work: {append:?}"
    );

    // And the stored event names the service's call as its trace context.
    let mut log = support::client(
        &format!("http://{}", cluster.log.addr("grpc_addr")),
        &support::service_token(),
    )
    .await;
    let events = support::read_everything(&mut log).await;
    let ids: Vec<&str> = result["eventIds"]
        .as_array()
        .expect("eventIds")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let recorded: HashMap<&str, &proto::v1::RecordedEvent> =
        events.iter().map(|e| (e.event_id.as_str(), e)).collect();
    for id in ids {
        let event = recorded
            .get(id)
            .unwrap_or_else(|| panic!("event {id} is not in the log"));
        let traceparent = event
            .metadata
            .get(domain::envelope::meta::TRACEPARENT)
            .unwrap_or_else(|| panic!("event {id} has no traceparent: {:?}", event.metadata));
        assert_eq!(
            traceparent,
            &format!("00-{trace}-{}-01", call.span_id),
            "the event carries the trace, at the service's span"
        );
        assert_eq!(
            domain::envelope::trace_id(&event.metadata.clone().into_iter().collect()),
            Some(trace)
        );
    }
}

/// `difacto dev` runs the domain services in its own process: each call is counted as a
/// `serve` process counts it, on the gateway's `/metrics` (one exposition).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_counts_each_rpc_on_its_metrics() {
    use proto::v1 as pb;
    let dir = tempfile::tempdir().expect("dir");
    let dev = support::gateway::Dev::start(dir.path());
    let mut icb = pb::icb_service_client::IcbServiceClient::with_interceptor(
        support::channel(&dev.server.url()).await,
        auth::BearerToken::new(support::gateway::token("X24", Role::NationalLead)).expect("bearer"),
    );
    icb.register_organisation(pb::RegisterOrganisationRequest {
        code: "X24".into(),
        kind: pb::OrganisationKind::NationalBody.into(),
        name: "NHS England".into(),
        effective_date: "2020-01-01".into(),
        ..Default::default()
    })
    .await
    .expect("registered");
    let (status, text) = http(&dev.http_addr, "GET", "/metrics", &[], "").await;
    assert_eq!(status, 200);
    assert!(
        text.contains(r#"difacto_grpc_requests_total{service="difacto.v1.IcbService",method="RegisterOrganisation",code="0"} 1"#),
        "dev /metrics:\n{text}"
    );
    assert!(
        text.contains(r#"difacto_grpc_request_seconds_count{service="difacto.v1.IcbService",method="RegisterOrganisation"} 1"#),
        "dev /metrics:\n{text}"
    );
    // The gateway's own metrics are still there, and the exposition ends once.
    assert!(
        text.contains("difacto_gateway_read_model_position"),
        "dev /metrics:\n{text}"
    );
    assert_eq!(text.matches("# EOF").count(), 1, "dev /metrics:\n{text}");
}
