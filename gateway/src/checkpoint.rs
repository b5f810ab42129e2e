//! The read model on disk: one file, written whole (temporary file, fsync, rename), that
//! a restart loads instead of replaying the log. A checkpoint that does not match the
//! log (another log, a shorter one, an older format) is ignored, and the model is
//! rebuilt from zero: a checkpoint is only ever a shortcut.

use std::io::Write;
use std::path::PathBuf;

use eventlog::EventLog;

use crate::model::ReadModel;

/// Bumped whenever the model's shape changes; older files are then replayed over.
const FORMAT: &[u8] = b"difacto-read-model-v3\n";
const FILE: &str = "read-model.checkpoint";

#[derive(Debug, Clone)]
pub struct Checkpoint {
    dir: PathBuf,
}

impl Checkpoint {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE)
    }

    pub fn encode(model: &ReadModel) -> Result<Vec<u8>, postcard::Error> {
        let mut bytes = FORMAT.to_vec();
        postcard::to_io(model, &mut bytes)?;
        Ok(bytes)
    }

    pub fn decode(bytes: &[u8]) -> Option<ReadModel> {
        let body = bytes.strip_prefix(FORMAT)?;
        postcard::from_bytes(body).ok()
    }

    pub async fn write(&self, bytes: Vec<u8>) -> std::io::Result<()> {
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            let tmp = dir.join(format!("{FILE}.tmp"));
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::rename(&tmp, dir.join(FILE))?;
            std::fs::File::open(&dir)?.sync_all()
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// The checkpointed model, if there is one and it belongs to `log`: its last event is
    /// the log's event at the same position.
    pub async fn load_for(&self, log: &dyn EventLog) -> Option<ReadModel> {
        let path = self.path();
        let bytes = tokio::fs::read(&path).await.ok()?;
        let Some(model) = Self::decode(&bytes) else {
            tracing::warn!(path = %path.display(), "ignoring a read model checkpoint of another format; replaying the log");
            return None;
        };
        if model.position == 0 {
            return None;
        }
        let at = log.read_all(model.position - 1, 1).await.ok()?;
        match at.first() {
            Some(event)
                if event.position == model.position
                    && Some(event.event_id) == model.last_event_id =>
            {
                tracing::info!(
                    position = model.position,
                    "read model resumed from its checkpoint"
                );
                Some(model)
            }
            _ => {
                tracing::warn!(path = %path.display(), position = model.position,
                    "ignoring a read model checkpoint that does not match this log; replaying it");
                None
            }
        }
    }
}
