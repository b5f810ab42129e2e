//! `deploy/`: the Dockerfile, the compose file and the Kubernetes manifests cannot be run
//! here (no container engine), so this checks what can go wrong in them without one:
//! every file parses; every difacto command line in them (arguments, plus environment
//! variables that stand for flags) is accepted by the binary's own parser; every address
//! a container binds is reachable from outside it; and every port that a probe, a
//! Service, a compose mapping or another process's URL names is the port the process
//! really listens on. The systemd units are held to the same parser.
//!
//! Until `--log nats://…` is accepted (the JetStream backend), a `nats://` value is
//! checked for its hosts against the NATS nodes the file defines, and replaced by a
//! `sled:` value for the parse; once the parser accepts it, it is parsed as written.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser};
use difacto::cli::{Cli, Command, ServeCommand};
use difacto::settings::LogTarget;
use serde::Deserialize;
use serde_yaml_ng::Value;

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every YAML document in `path`, anchors resolved and `<<` merge keys applied.
fn documents(path: &Path) -> Vec<Value> {
    let text = read(path);
    let mut out = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(&text) {
        let mut value = Value::deserialize(document)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
        value
            .apply_merge()
            .unwrap_or_else(|e| panic!("{}: merge keys: {e}", path.display()));
        if !value.is_null() {
            out.push(value);
        }
    }
    out
}

fn str_of<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_sequence)
        .map(|items| {
            items
                .iter()
                .map(|item| match item {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    other => panic!("not a string: {other:?}"),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the parser takes `--log nats://…` yet.
fn nats_accepted() -> bool {
    "nats://127.0.0.1:4222".parse::<LogTarget>().is_ok()
}

/// What a difacto command line says about where the process listens and what it reaches.
#[derive(Debug, Default)]
struct Process {
    /// `serve <what>`.
    what: String,
    grpc: Option<SocketAddr>,
    metrics: Option<SocketAddr>,
    http: Option<SocketAddr>,
    /// `--services` of a gateway: service name → (host, port).
    services: BTreeMap<String, (String, u16)>,
    /// The hosts and ports of a `nats://` `--log`.
    nats: Vec<(String, u16)>,
    jwt_public_key: Option<PathBuf>,
}

/// The long flag that `env` (a `DIFACTO_…` variable) stands for in `difacto <path…>`,
/// and whether it takes a value.
fn flag_for_env(path: &[&str], env: &str) -> Option<(String, bool)> {
    let mut command = Cli::command();
    command.build();
    let mut args: Vec<clap::Arg> = command.get_arguments().cloned().collect();
    let mut current = command;
    for name in path {
        let Some(sub) = current.find_subcommand(name).cloned() else {
            break;
        };
        args.extend(sub.get_arguments().cloned());
        current = sub;
    }
    args.iter()
        .find(|arg| arg.get_env().and_then(|e| e.to_str()) == Some(env))
        .and_then(|arg| {
            let takes = arg.get_action().takes_values();
            arg.get_long().map(|long| (format!("--{long}"), takes))
        })
}

/// Variables a container may set that are not flags: read by `telemetry` and by the
/// OpenTelemetry exporter itself.
fn known_non_flag(name: &str) -> bool {
    matches!(name, "DIFACTO_LOG_FORMAT" | "DIFACTO_LOG_LEVEL") || name.starts_with("OTEL_")
}

/// Parses `args` (without the program name) with `env` applied as the flags they stand
/// for, as the binary would; panics naming `place` when the binary would refuse it.
fn parse(place: &str, args: &[String], env: &[(String, String)]) -> Process {
    let path: Vec<&str> = args.iter().take(2).map(String::as_str).collect();
    let mut argv: Vec<String> = vec!["difacto".into()];
    let mut nats = Vec::new();
    let mut iter = args.iter().peekable();
    while let Some(arg) = iter.next() {
        argv.push(arg.clone());
        if arg == "--log"
            && let Some(value) = iter.peek()
            && let Some(hosts) = value.strip_prefix("nats://")
        {
            for host in hosts.split(',') {
                let (name, port) = host
                    .rsplit_once(':')
                    .unwrap_or_else(|| panic!("{place}: {host:?} in --log has no port"));
                let port: u16 = port
                    .parse()
                    .unwrap_or_else(|_| panic!("{place}: {host:?} in --log has no port"));
                nats.push((name.to_owned(), port));
            }
            if !nats_accepted() {
                // Replaced only while the parser does not know nats:// (see the top).
                iter.next();
                argv.push("sled:/var/lib/difacto/log".into());
            }
        }
    }
    for (name, value) in env {
        if !name.starts_with("DIFACTO_") {
            assert!(
                known_non_flag(name),
                "{place}: {name} is neither a difacto flag's variable nor one difacto reads"
            );
            continue;
        }
        match flag_for_env(&path, name) {
            Some((flag, takes_value)) => {
                argv.push(flag);
                if takes_value {
                    argv.push(value.clone());
                }
            }
            None => assert!(
                known_non_flag(name),
                "{place}: {name} is not the variable of any flag of `difacto {}`",
                path.join(" ")
            ),
        }
    }
    let cli = Cli::try_parse_from(&argv)
        .unwrap_or_else(|e| panic!("{place}: the binary refuses `{}`:\n{e}", argv.join(" ")));
    let mut process = Process {
        nats,
        jwt_public_key: cli.auth.jwt_public_key.clone(),
        ..Process::default()
    };
    let Command::Serve(serve) = cli.command else {
        panic!("{place}: a deployed process runs `difacto serve …`, not {argv:?}");
    };
    match serve {
        ServeCommand::Log(a) => {
            process.what = "log".into();
            process.grpc = Some(a.grpc_addr);
            process.metrics = Some(a.metrics_addr);
        }
        ServeCommand::Practice(a) => service(&mut process, "practice", a.grpc_addr, a.metrics_addr),
        ServeCommand::Icb(a) => service(&mut process, "icb", a.grpc_addr, a.metrics_addr),
        ServeCommand::Partner(a) => service(&mut process, "partner", a.grpc_addr, a.metrics_addr),
        ServeCommand::Provider(a) => service(&mut process, "provider", a.grpc_addr, a.metrics_addr),
        ServeCommand::Gateway(a) => {
            process.what = "gateway".into();
            process.http = Some(a.http_addr);
            let urls: gateway::services::ServiceUrls = a
                .services
                .parse()
                .unwrap_or_else(|e| panic!("{place}: {e}"));
            for (name, uri) in [
                ("icb", urls.icb),
                ("practice", urls.practice),
                ("partner", urls.partner),
                ("provider", urls.provider),
            ] {
                let host = uri.host().unwrap_or_default().to_owned();
                let port = uri
                    .port_u16()
                    .unwrap_or_else(|| panic!("{place}: --services {name} has no port"));
                process.services.insert(name.into(), (host, port));
            }
        }
    }
    process
}

fn service(process: &mut Process, what: &str, grpc: SocketAddr, metrics: SocketAddr) {
    process.what = what.into();
    process.grpc = Some(grpc);
    process.metrics = Some(metrics);
}

/// In a container, an address on loopback is one nobody else can reach.
fn assert_reachable(place: &str, process: &Process) {
    for addr in [process.grpc, process.metrics, process.http]
        .into_iter()
        .flatten()
    {
        assert!(
            addr.ip().is_unspecified(),
            "{place}: listens on {addr}, which no other container can reach; use 0.0.0.0"
        );
    }
}

// ---------------------------------------------------------------------------------------
// compose

#[test]
fn the_compose_file_starts_a_nats_cluster_four_services_and_two_gateways_that_agree() {
    let path = deploy().join("compose.yaml");
    let docs = documents(&path);
    assert_eq!(docs.len(), 1, "compose.yaml is one document");
    let services = docs[0]
        .get("services")
        .and_then(Value::as_mapping)
        .expect("compose.yaml has services");
    let mut nats_nodes = BTreeSet::new();
    let mut processes: BTreeMap<String, (Process, &Value)> = BTreeMap::new();
    for (name, service) in services {
        let name = name.as_str().expect("service name").to_owned();
        let image = str_of(service, "image").unwrap_or_default();
        let place = format!("compose.yaml services.{name}");
        if image.starts_with("nats:") {
            assert_nats_image(&place, image);
            let command = strings(service.get("command"));
            assert!(
                command
                    .windows(2)
                    .any(|w| w[0] == "-c" && w[1] == "/etc/nats/nats.conf"),
                "{place}: nats-server is not started with the shipped nats.conf"
            );
            let mounts = strings(service.get("volumes"));
            assert!(
                mounts
                    .iter()
                    .any(|m| m.starts_with("./nats/nats.conf:/etc/nats/nats.conf")),
                "{place}: deploy/nats/nats.conf is not mounted"
            );
            nats_nodes.insert(name);
            continue;
        }
        assert!(
            image.starts_with("difacto"),
            "{place}: unknown image {image:?}"
        );
        let build = service
            .get("build")
            .expect("difacto services are built here");
        let dockerfile = path
            .parent()
            .expect("deploy/")
            .join(str_of(build, "context").expect("build.context"))
            .join(str_of(build, "dockerfile").expect("build.dockerfile"));
        assert!(dockerfile.is_file(), "{place}: no {}", dockerfile.display());
        let env = compose_env(service);
        let process = parse(&place, &strings(service.get("command")), &env);
        assert_reachable(&place, &process);
        let exposed: BTreeSet<u16> = strings(service.get("expose"))
            .iter()
            .map(|p| p.parse().expect("an exposed port"))
            .collect();
        let published: BTreeSet<u16> = strings(service.get("ports"))
            .iter()
            .map(|p| {
                p.rsplit(':')
                    .next()
                    .and_then(|p| p.parse().ok())
                    .expect("HOST:CONTAINER")
            })
            .collect();
        for port in [process.grpc, process.metrics, process.http]
            .into_iter()
            .flatten()
            .map(|a| a.port())
        {
            assert!(
                exposed.contains(&port) || published.contains(&port),
                "{place}: listens on {port} but neither exposes nor publishes it"
            );
        }
        for port in exposed.iter().chain(&published) {
            assert!(
                [process.grpc, process.metrics, process.http]
                    .into_iter()
                    .flatten()
                    .any(|a| a.port() == *port),
                "{place}: exposes {port}, where nothing listens"
            );
        }
        processes.insert(name, (process, service));
    }
    assert_eq!(nats_nodes.len(), 3, "three NATS nodes: {nats_nodes:?}");
    let kinds: Vec<&str> = processes.values().map(|(p, _)| p.what.as_str()).collect();
    for what in ["practice", "icb", "partner", "provider"] {
        assert_eq!(
            kinds.iter().filter(|k| **k == what).count(),
            1,
            "one {what}: {kinds:?}"
        );
    }
    assert_eq!(
        kinds.iter().filter(|k| **k == "gateway").count(),
        2,
        "two gateways"
    );
    for (name, (process, _)) in &processes {
        let place = format!("compose.yaml services.{name}");
        assert_eq!(
            process
                .nats
                .iter()
                .map(|(h, _)| h.clone())
                .collect::<BTreeSet<_>>(),
            nats_nodes,
            "{place}: --log names every NATS node"
        );
        assert!(
            process.nats.iter().all(|(_, port)| *port == 4222),
            "{place}: NATS clients use 4222"
        );
        for (service, (host, port)) in &process.services {
            let (target, _) = processes.get(host).unwrap_or_else(|| {
                panic!("{place}: --services {service} names {host}, not a compose service")
            });
            assert_eq!(
                &target.what, service,
                "{place}: --services {service} points at {host}"
            );
            assert_eq!(
                target.grpc.map(|a| a.port()),
                Some(*port),
                "{place}: --services {service} uses port {port}; {host} listens elsewhere"
            );
        }
    }
}

fn compose_env(service: &Value) -> Vec<(String, String)> {
    let Some(env) = service.get("environment").and_then(Value::as_mapping) else {
        return Vec::new();
    };
    env.iter()
        .map(|(k, v)| {
            let value = match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => serde_yaml_ng::to_string(other).expect("value"),
            };
            (k.as_str().expect("name").to_owned(), value)
        })
        // `${VAR:?…}` is filled in by compose from the operator's shell.
        .map(|(k, v)| {
            if v.starts_with("${") {
                (k, "from-the-shell".into())
            } else {
                (k, v)
            }
        })
        .collect()
}

/// The official image, 2.12 or later (Debian's 2.9 lacks what the log needs).
fn assert_nats_image(place: &str, image: &str) {
    let tag = image.strip_prefix("nats:").expect("nats image");
    let mut numbers = tag.split(['.', '-']).map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
    assert!(
        (major, minor) >= (2, 12),
        "{place}: {image} is older than NATS 2.12"
    );
}

#[test]
fn the_shipped_nats_configuration_fsyncs_every_write_and_clusters() {
    let conf = read(&deploy().join("nats/nats.conf"));
    let setting = |name: &str| {
        conf.lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .find_map(|l| {
                l.strip_prefix(name)
                    .map(|rest| rest.trim_start_matches([':', ' ', '=']).trim().to_owned())
            })
    };
    assert_eq!(setting("sync_interval").as_deref(), Some("always"));
    assert!(setting("store_dir").is_some(), "jetstream has a store_dir");
    assert!(conf.contains("jetstream"), "jetstream is enabled");
    assert!(
        conf.contains("cluster") && conf.contains("routes"),
        "a cluster with routes"
    );
    assert_eq!(setting("port").as_deref(), Some("4222"));
}

// ---------------------------------------------------------------------------------------
// Kubernetes

struct Manifests {
    docs: Vec<(String, Value)>,
}

impl Manifests {
    fn load() -> Self {
        let dir = deploy().join("kubernetes");
        let kustomization = documents(&dir.join("kustomization.yaml"));
        let resources = strings(kustomization[0].get("resources"));
        let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
            .expect("deploy/kubernetes")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yaml") && n != "kustomization.yaml")
            .collect();
        assert_eq!(
            resources.iter().cloned().collect::<BTreeSet<_>>(),
            on_disk,
            "kustomization.yaml lists every manifest"
        );
        let mut docs = Vec::new();
        for file in resources {
            for doc in documents(&dir.join(&file)) {
                assert!(
                    str_of(&doc, "apiVersion").is_some(),
                    "{file}: a document without apiVersion"
                );
                let kind = str_of(&doc, "kind")
                    .unwrap_or_else(|| panic!("{file}: no kind"))
                    .to_owned();
                let name = doc
                    .get("metadata")
                    .and_then(|m| str_of(m, "name"))
                    .unwrap_or_else(|| panic!("{file}: a {kind} without a name"));
                docs.push((format!("{file} {kind}/{name}"), doc));
            }
        }
        Self { docs }
    }

    fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (&'a str, &'a Value)> + 'a {
        self.docs
            .iter()
            .filter(move |(_, d)| str_of(d, "kind") == Some(kind))
            .map(|(place, d)| (place.as_str(), d))
    }

    fn named(&self, kind: &str, name: &str) -> Option<&Value> {
        self.docs
            .iter()
            .map(|(_, d)| d)
            .find(|d| str_of(d, "kind") == Some(kind) && name_of(d) == name)
    }

    /// Deployments and StatefulSets.
    fn workloads(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.of_kind("Deployment")
            .chain(self.of_kind("StatefulSet"))
    }
}

fn name_of(doc: &Value) -> &str {
    doc.get("metadata")
        .and_then(|m| str_of(m, "name"))
        .unwrap_or_default()
}

fn pod_labels(workload: &Value) -> &Value {
    &workload["spec"]["template"]["metadata"]["labels"]
}

fn matches(selector: &Value, labels: &Value) -> bool {
    selector.as_mapping().is_some_and(|sel| {
        !sel.is_empty()
            && sel
                .iter()
                .all(|(k, v)| labels.get(k.as_str().unwrap_or("")) == Some(v))
    })
}

/// A container's ports, by name and number.
fn container_ports(container: &Value) -> Vec<(String, u16)> {
    container["ports"]
        .as_sequence()
        .map(|ports| {
            ports
                .iter()
                .map(|p| {
                    let number = p["containerPort"].as_u64().expect("containerPort") as u16;
                    (str_of(p, "name").unwrap_or_default().to_owned(), number)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A probe's or Service's port (a number or a container port's name) as a number.
fn resolve(place: &str, port: &Value, ports: &[(String, u16)]) -> u16 {
    match port {
        Value::Number(n) => n.as_u64().expect("a port number") as u16,
        Value::String(name) => ports
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| *p)
            .unwrap_or_else(|| panic!("{place}: no container port named {name}")),
        other => panic!("{place}: a port that is {other:?}"),
    }
}

fn container_env(container: &Value) -> Vec<(String, String)> {
    container["env"]
        .as_sequence()
        .map(|env| {
            env.iter()
                .map(|e| {
                    (
                        str_of(e, "name").expect("env name").to_owned(),
                        str_of(e, "value").unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_kubernetes_workload_runs_a_command_line_the_binary_accepts_with_matching_ports() {
    let manifests = Manifests::load();
    let sts = manifests
        .named("StatefulSet", "nats")
        .expect("a nats StatefulSet");
    let nats_service = str_of(&sts["spec"], "serviceName").expect("serviceName");
    let nats_replicas = sts["spec"]["replicas"].as_u64().expect("replicas");
    assert_eq!(nats_replicas, 3, "three NATS replicas");
    let nats_container = &sts["spec"]["template"]["spec"]["containers"][0];
    assert_nats_image(
        "nats StatefulSet",
        str_of(nats_container, "image").expect("image"),
    );
    let nats_ports = container_ports(nats_container);
    let nats_pods: BTreeSet<String> = (0..nats_replicas)
        .map(|i| format!("nats-{i}.{nats_service}"))
        .collect();

    let mut processes: BTreeMap<String, Process> = BTreeMap::new();
    for (place, deployment) in manifests.of_kind("Deployment") {
        let pod = &deployment["spec"]["template"]["spec"];
        let container = pod["containers"]
            .as_sequence()
            .and_then(|c| c.iter().find(|c| str_of(c, "name") == Some("difacto")))
            .unwrap_or_else(|| panic!("{place}: no container named difacto"));
        assert!(
            container.get("command").is_none(),
            "{place}: the image's entrypoint runs difacto"
        );
        let process = parse(
            place,
            &strings(container.get("args")),
            &container_env(container),
        );
        assert_reachable(place, &process);
        let ports = container_ports(container);
        let listening: Vec<u16> = [process.grpc, process.metrics, process.http]
            .into_iter()
            .flatten()
            .map(|a| a.port())
            .collect();
        let declared: BTreeSet<u16> = ports.iter().map(|(_, p)| *p).collect();
        assert_eq!(
            declared,
            listening.iter().copied().collect(),
            "{place}: containerPorts are where it listens"
        );

        // Readiness on /readyz over HTTP: the metrics listener of a service, the gateway's.
        let http_port = process
            .http
            .or(process.metrics)
            .expect("an HTTP port")
            .port();
        let readiness = &container["readinessProbe"]["httpGet"];
        assert_eq!(
            str_of(readiness, "path"),
            Some("/readyz"),
            "{place}: readiness is /readyz"
        );
        assert_eq!(
            resolve(place, &readiness["port"], &ports),
            http_port,
            "{place}: readiness port"
        );
        for probe in ["livenessProbe", "startupProbe"] {
            let probe_value = &container[probe];
            if let Some(get) = probe_value.get("httpGet") {
                assert_eq!(
                    resolve(place, &get["port"], &ports),
                    http_port,
                    "{place}: {probe} port"
                );
            }
            if let Some(grpc) = probe_value.get("grpc") {
                assert_eq!(
                    Some(resolve(place, &grpc["port"], &ports)),
                    process.grpc.map(|a| a.port()),
                    "{place}: {probe} checks gRPC health on the gRPC port"
                );
            }
        }
        if process.grpc.is_some() {
            assert!(
                ["livenessProbe", "readinessProbe", "startupProbe"]
                    .iter()
                    .any(|p| container[*p].get("grpc").is_some()),
                "{place}: a gRPC service is probed with the gRPC health service"
            );
        }
        // The JWT key is mounted from a Secret the manifests define.
        let key = process
            .jwt_public_key
            .as_ref()
            .unwrap_or_else(|| panic!("{place}: no --jwt-public-key"));
        let mount = container["volumeMounts"]
            .as_sequence()
            .and_then(|mounts| {
                mounts
                    .iter()
                    .find(|m| key.starts_with(str_of(m, "mountPath").unwrap_or("/nowhere")))
            })
            .unwrap_or_else(|| panic!("{place}: {} is on no mounted volume", key.display()));
        let volume = pod["volumes"]
            .as_sequence()
            .and_then(|v| {
                v.iter()
                    .find(|v| str_of(v, "name") == str_of(mount, "name"))
            })
            .expect("the mounted volume");
        let secret = str_of(&volume["secret"], "secretName")
            .unwrap_or_else(|| panic!("{place}: the JWT key is not mounted from a Secret"));
        let secret = manifests
            .named("Secret", secret)
            .unwrap_or_else(|| panic!("{place}: no Secret {secret}"));
        let file = key
            .file_name()
            .and_then(|f| f.to_str())
            .expect("a file name");
        assert!(
            secret.get("stringData").and_then(|d| d.get(file)).is_some()
                || secret.get("data").and_then(|d| d.get(file)).is_some(),
            "{place}: the Secret holds no {file}"
        );
        // --log reaches the StatefulSet's pods at their client port.
        let hosts: BTreeSet<String> = process.nats.iter().map(|(h, _)| h.clone()).collect();
        assert_eq!(hosts, nats_pods, "{place}: --log names every NATS pod");
        for (_, port) in &process.nats {
            assert!(
                nats_ports.iter().any(|(_, p)| p == port),
                "{place}: NATS has no port {port}"
            );
        }
        processes.insert(name_of(deployment).to_owned(), process);
    }
    let kinds: BTreeSet<&str> = processes.values().map(|p| p.what.as_str()).collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["gateway", "icb", "partner", "practice", "provider"]),
        "the four services and the gateway"
    );

    // Every Service routes to a workload, at ports its containers declare; the gateway's
    // --services URLs name Services that reach the right process's gRPC port.
    let mut routes: BTreeMap<(String, u16), (String, u16)> = BTreeMap::new();
    for (place, service) in manifests.of_kind("Service") {
        let selector = &service["spec"]["selector"];
        let (_, workload) = manifests
            .workloads()
            .find(|(_, w)| matches(selector, pod_labels(w)))
            .unwrap_or_else(|| panic!("{place}: selects no workload"));
        let container = &workload["spec"]["template"]["spec"]["containers"][0];
        let ports = container_ports(container);
        for port in service["spec"]["ports"].as_sequence().expect("ports") {
            let target = resolve(
                place,
                port.get("targetPort").unwrap_or(&port["port"]),
                &ports,
            );
            assert!(
                ports.iter().any(|(_, p)| *p == target),
                "{place}: targetPort {target} is no container port"
            );
            let exposed = port["port"].as_u64().expect("port") as u16;
            routes.insert(
                (name_of(service).to_owned(), exposed),
                (name_of(workload).to_owned(), target),
            );
        }
    }
    for (name, process) in &processes {
        for (service, (host, port)) in &process.services {
            let (workload, target) = routes.get(&(host.clone(), *port)).unwrap_or_else(|| {
                panic!(
                    "Deployment/{name}: --services {service}: no Service {host} with port {port}"
                )
            });
            let target_process = &processes[workload];
            assert_eq!(
                &target_process.what, service,
                "Deployment/{name}: --services {service} reaches {workload}"
            );
            assert_eq!(
                target_process.grpc.map(|a| a.port()),
                Some(*target),
                "Deployment/{name}: --services {service} reaches its gRPC port"
            );
        }
    }
}

#[test]
fn every_kubernetes_workload_has_requests_and_a_disruption_budget_and_nats_its_configuration() {
    let manifests = Manifests::load();
    for (place, workload) in manifests.workloads() {
        for container in workload["spec"]["template"]["spec"]["containers"]
            .as_sequence()
            .expect("containers")
        {
            let requests = &container["resources"]["requests"];
            assert!(
                requests.get("cpu").is_some() && requests.get("memory").is_some(),
                "{place}: no cpu and memory requests"
            );
        }
        assert!(
            manifests
                .of_kind("PodDisruptionBudget")
                .any(|(_, pdb)| matches(
                    &pdb["spec"]["selector"]["matchLabels"],
                    pod_labels(workload)
                )),
            "{place}: no PodDisruptionBudget covers it"
        );
        assert!(
            matches(
                &workload["spec"]["selector"]["matchLabels"],
                pod_labels(workload)
            ),
            "{place}: its selector does not match its own pods"
        );
    }
    for (place, pdb) in manifests.of_kind("PodDisruptionBudget") {
        assert!(
            manifests
                .workloads()
                .any(|(_, w)| matches(&pdb["spec"]["selector"]["matchLabels"], pod_labels(w))),
            "{place}: covers no workload"
        );
    }
    let config = manifests
        .named("ConfigMap", "nats-config")
        .expect("ConfigMap nats-config");
    assert_eq!(
        str_of(&config["data"], "nats.conf"),
        Some(read(&deploy().join("nats/nats.conf")).as_str()),
        "the ConfigMap holds deploy/nats/nats.conf exactly"
    );
    let sts = manifests.named("StatefulSet", "nats").expect("nats");
    let pod = &sts["spec"]["template"]["spec"];
    let args = strings(pod["containers"][0].get("args"));
    assert!(
        args.windows(2)
            .any(|w| w[0] == "-c" && w[1] == "/etc/nats/nats.conf"),
        "nats-server reads the shipped file"
    );
    let mount = pod["containers"][0]["volumeMounts"]
        .as_sequence()
        .and_then(|m| {
            m.iter()
                .find(|m| str_of(m, "mountPath") == Some("/etc/nats"))
        })
        .expect("/etc/nats is mounted");
    let volume = pod["volumes"]
        .as_sequence()
        .and_then(|v| {
            v.iter()
                .find(|v| str_of(v, "name") == str_of(mount, "name"))
        })
        .expect("its volume");
    assert_eq!(str_of(&volume["configMap"], "name"), Some("nats-config"));
}

// ---------------------------------------------------------------------------------------
// Dockerfile and systemd

#[test]
fn the_image_builds_in_one_stage_and_runs_the_binary_unprivileged_in_another() {
    let dockerfile = read(&deploy().join("Dockerfile"));
    let instructions: Vec<&str> = dockerfile
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let froms: Vec<&str> = instructions
        .iter()
        .filter(|l| l.starts_with("FROM "))
        .copied()
        .collect();
    assert!(froms.len() >= 2, "a multi-stage build: {froms:?}");
    assert!(
        froms[0].starts_with("FROM rust:"),
        "builds on the Rust image: {}",
        froms[0]
    );
    let last = froms.last().expect("a runtime stage");
    assert!(
        last.starts_with("FROM debian:") && last.contains("-slim"),
        "runs on Debian slim: {last}"
    );
    let runtime_start = instructions
        .iter()
        .rposition(|l| l.starts_with("FROM "))
        .expect("FROM");
    let runtime = &instructions[runtime_start..];
    let user = runtime
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("the runtime stage sets USER");
    let user = user.split(':').next().unwrap_or(user).trim();
    assert!(
        user != "root" && user != "0",
        "runs as a non-root user, not {user}"
    );
    assert!(
        runtime
            .iter()
            .any(|l| l.starts_with("COPY --from=") && l.ends_with("/usr/local/bin/difacto")),
        "only the binary comes from the builder"
    );
    let entrypoint = runtime
        .iter()
        .find_map(|l| l.strip_prefix("ENTRYPOINT "))
        .expect("an ENTRYPOINT");
    let entrypoint: Vec<String> =
        serde_json::from_str(entrypoint).expect("ENTRYPOINT in exec form");
    assert_eq!(
        entrypoint.last().map(String::as_str),
        Some("/usr/local/bin/difacto"),
        "the manifests' args are difacto's"
    );
    assert!(
        dockerfile.contains("--locked"),
        "the build uses the tested Cargo.lock"
    );
}

#[test]
fn the_systemd_units_run_command_lines_the_binary_accepts() {
    for (unit, instance) in [
        ("difacto-log.service", None),
        ("difacto-gateway.service", None),
        ("difacto@.service", Some("practice")),
        ("difacto@.service", Some("partner")),
    ] {
        let text = read(&deploy().join(unit));
        let mut args = Vec::new();
        let mut env = Vec::new();
        for line in text.lines().map(str::trim) {
            if let Some(exec) = line.strip_prefix("ExecStart=") {
                let mut words = exec.split_whitespace();
                assert_eq!(words.next(), Some("/usr/local/bin/difacto"), "{unit}");
                args = words
                    .map(|w| w.replace("%i", instance.unwrap_or("%i")))
                    .collect();
            } else if let Some(setting) = line.strip_prefix("Environment=")
                && let Some((name, value)) = setting.split_once('=')
            {
                env.push((name.to_owned(), value.to_owned()));
            }
        }
        let place = format!("{unit} ({})", instance.unwrap_or("-"));
        let process = parse(&place, &args, &env);
        assert!(!process.what.is_empty(), "{place}");
    }
}
