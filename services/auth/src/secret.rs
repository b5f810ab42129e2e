//! Where the development HS256 secret comes from (DESIGN.md §8).

use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::TryRngCore;
use rand::rngs::OsRng;

use crate::AuthError;

/// File name of the generated secret inside the data directory.
const SECRET_FILE: &str = "jwt-secret";

/// Random bytes in a generated secret (256 bits, the HS256 key size).
const SECRET_BYTES: usize = 32;

/// The development signing secret, so that `difacto dev` and `difacto token` agree
/// without configuration.
///
/// `env_secret` (the value of `DIFACTO_JWT_SECRET`) wins when it is set and not
/// blank. Otherwise the secret is the content of `<data_dir>/jwt-secret`, with
/// surrounding whitespace removed. If that file does not exist and `create` is
/// true, it is created holding 32 random bytes hex-encoded (mode 0600 on unix,
/// `data_dir` created as needed); concurrent callers all end up with the same
/// secret. The secret is the file's text itself, so copying the file's content
/// into `DIFACTO_JWT_SECRET` yields the same key.
///
/// Errors are [`AuthError::Key`] naming the path, never the secret.
pub fn resolve_dev_secret(
    env_secret: Option<&str>,
    data_dir: &Path,
    create: bool,
) -> Result<Vec<u8>, AuthError> {
    if let Some(secret) = env_secret.filter(|s| !s.trim().is_empty()) {
        return Ok(secret.as_bytes().to_vec());
    }
    let path = data_dir.join(SECRET_FILE);
    match read_secret(&path)? {
        Some(secret) => Ok(secret),
        None if create => create_secret(data_dir, &path),
        None => Err(AuthError::Key(format!(
            "no development JWT secret: set DIFACTO_JWT_SECRET, or run `difacto dev` to create {}",
            path.display()
        ))),
    }
}

/// `Ok(None)` when the file does not exist; an error when it exists but is
/// unreadable or blank.
fn read_secret(path: &Path) -> Result<Option<Vec<u8>>, AuthError> {
    let content = match fs::read(path) {
        Ok(content) => content,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(AuthError::Key(format!(
                "cannot read JWT secret file {}: {e}",
                path.display()
            )));
        }
    };
    let secret = content.trim_ascii();
    if secret.is_empty() {
        return Err(AuthError::Key(format!(
            "JWT secret file {} is empty; delete it or set DIFACTO_JWT_SECRET",
            path.display()
        )));
    }
    warn_if_readable_by_others(path);
    Ok(Some(secret.to_vec()))
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(path = %path.display(), "JWT secret file is accessible to other users; chmod 600 it");
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// Writes a fresh secret to a private temporary file and hard-links it into place,
/// which fails if the target exists: a racing process either loses (and we read its
/// secret) or wins, and nobody ever reads a half-written file.
fn create_secret(data_dir: &Path, path: &Path) -> Result<Vec<u8>, AuthError> {
    let key_err = |what: &str, e: io::Error| AuthError::Key(format!("{what}: {e}"));
    fs::create_dir_all(data_dir).map_err(|e| {
        key_err(
            &format!("cannot create data directory {}", data_dir.display()),
            e,
        )
    })?;

    let mut random = [0u8; SECRET_BYTES];
    OsRng
        .try_fill_bytes(&mut random)
        .map_err(|e| AuthError::Key(format!("no OS randomness for the JWT secret: {e}")))?;
    let secret = hex(&random);

    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let tmp = data_dir.join(format!(
        ".{SECRET_FILE}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    write_private(&tmp, &secret)
        .map_err(|e| key_err(&format!("cannot write {}", tmp.display()), e))?;
    let linked = fs::hard_link(&tmp, path);
    // The temporary name has served its purpose whether or not the link worked.
    if let Err(e) = fs::remove_file(&tmp) {
        tracing::debug!(path = %tmp.display(), error = %e, "could not remove temporary secret file");
    }
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "created development JWT secret");
            Ok(secret.into_bytes())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read_secret(path)?
            .ok_or_else(|| AuthError::Key(format!("JWT secret file {} vanished", path.display()))),
        // Some filesystems have no hard links: fall back to exclusive creation.
        Err(_) => match write_private(path, &secret) {
            Ok(()) => Ok(secret.into_bytes()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                read_secret(path)?.ok_or_else(|| {
                    AuthError::Key(format!("JWT secret file {} vanished", path.display()))
                })
            }
            Err(e) => Err(key_err(&format!("cannot write {}", path.display()), e)),
        },
    }
}

/// Creates `path` (which must not exist) readable only by its owner.
fn write_private(path: &Path, content: &str) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(content.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_the_file_once_and_returns_the_same_secret_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data_dir = dir.path().join("nested").join("data");
        let first = resolve_dev_secret(None, &data_dir, true).expect("create");
        assert_eq!(first.len(), SECRET_BYTES * 2);
        assert!(first.iter().all(u8::is_ascii_hexdigit));
        let second = resolve_dev_secret(None, &data_dir, true).expect("read");
        assert_eq!(first, second);
        let third = resolve_dev_secret(None, &data_dir, false).expect("read only");
        assert_eq!(first, third);
        let on_disk = fs::read_to_string(data_dir.join(SECRET_FILE)).expect("file");
        assert_eq!(on_disk.trim().as_bytes(), first.as_slice());
        // No temporary files left behind.
        assert_eq!(fs::read_dir(&data_dir).expect("dir").count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn created_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        resolve_dev_secret(None, dir.path(), true).expect("create");
        let mode = fs::metadata(dir.path().join(SECRET_FILE))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn prefers_the_environment_value() {
        let dir = tempfile::tempdir().expect("tempdir");
        let from_file = resolve_dev_secret(None, dir.path(), true).expect("create");
        let from_env = resolve_dev_secret(Some("from-env"), dir.path(), true).expect("env");
        assert_eq!(from_env, b"from-env");
        assert_ne!(from_env, from_file);
        // The environment wins even where no file could be created.
        let missing = dir.path().join("absent");
        assert_eq!(
            resolve_dev_secret(Some("from-env"), &missing, false).expect("env"),
            b"from-env"
        );
        assert!(!missing.exists());
    }

    #[test]
    fn blank_environment_value_falls_back_to_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let from_file = resolve_dev_secret(None, dir.path(), true).expect("create");
        assert_eq!(
            resolve_dev_secret(Some(""), dir.path(), false).expect("file"),
            from_file
        );
        assert_eq!(
            resolve_dev_secret(Some("  "), dir.path(), false).expect("file"),
            from_file
        );
    }

    #[test]
    fn missing_file_without_create_names_the_fix() {
        let dir = tempfile::tempdir().expect("tempdir");
        match resolve_dev_secret(None, dir.path(), false) {
            Err(AuthError::Key(message)) => {
                assert!(message.contains("DIFACTO_JWT_SECRET"), "{message}");
                assert!(message.contains(SECRET_FILE), "{message}");
            }
            other => panic!("expected Key error, got {other:?}"),
        }
        assert!(!dir.path().join(SECRET_FILE).exists());
    }

    #[test]
    fn hand_edited_file_is_trimmed_and_blank_file_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(SECRET_FILE);
        fs::write(&path, "  my-secret\n\n").expect("write");
        assert_eq!(
            resolve_dev_secret(None, dir.path(), true).expect("read"),
            b"my-secret"
        );
        fs::write(&path, "\n").expect("write");
        assert!(matches!(
            resolve_dev_secret(None, dir.path(), true),
            Err(AuthError::Key(_))
        ));
    }

    #[test]
    fn concurrent_creators_agree_on_one_secret() {
        let dir = tempfile::tempdir().expect("tempdir");
        let secrets: Vec<Vec<u8>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| resolve_dev_secret(None, dir.path(), true)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread").expect("secret"))
                .collect()
        });
        assert!(secrets.windows(2).all(|pair| pair[0] == pair[1]));
    }

    #[test]
    fn hex_encodes_lowercase() {
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
    }
}
