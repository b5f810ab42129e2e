//! Compiles every `.proto` under `proto/difacto/v1` with protox (pure Rust), so that a
//! fresh machine builds without a system `protoc`, and emits the descriptor set that
//! gRPC server reflection serves.

use std::{env, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = PathBuf::from("difacto/v1");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&proto_dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "proto"))
        .collect();
    files.sort();
    println!("cargo:rerun-if-changed={}", proto_dir.display());
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let descriptors = protox::compile(&files, ["."])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("difacto_descriptor.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;

    // Without the `grpc` feature only the messages are generated: the pure domain uses
    // the event messages and must not see tonic.
    let grpc = env::var_os("CARGO_FEATURE_GRPC").is_some();
    // Type names (`prost::Name`) give every event its stable stored type, e.g.
    // `difacto.v1.SeatBooked`.
    let mut config = tonic_prost_build::Config::new();
    config.enable_type_names();
    // Maps as BTreeMap, the log's own metadata type: no conversion on every append, and
    // equal maps encode to equal bytes.
    config.btree_map(["."]);
    tonic_prost_build::configure()
        // Bytes that do not decode are the caller's error, not the server's (see
        // `src/codec.rs`); every service, the log API included, is generated with it.
        .codec_path("crate::codec::ProstCodec")
        .build_client(grpc)
        .build_server(grpc)
        .bytes(".")
        .compile_fds_with_config(descriptors, config)?;
    Ok(())
}
