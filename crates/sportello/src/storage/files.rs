//! Files (attachments, generated PDFs) behind one interface: a local directory on one node,
//! an S3-compatible object store when several nodes must see the same files.
//!
//! Keys are made by Sportello, never taken from a user: a user-supplied name is metadata,
//! stored next to the key in the database, so no path can escape the store.

use std::sync::Arc;

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::config::FilesBackend;

/// The file store.
#[derive(Clone, Debug)]
pub struct FileStore {
    inner: Arc<dyn ObjectStore>,
    description: String,
}

/// A key that names one stored file: area, then a generated id (e.g. `domande/0193…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileKey(String);

impl FileKey {
    /// A fresh key under `area` (lower-case letters and dashes only).
    pub fn generate(area: &'static str) -> Self {
        Self(format!("{area}/{}", uuid::Uuid::now_v7().simple()))
    }

    /// Parses a key read back from the database.
    pub fn parse(raw: &str) -> Result<Self, FileError> {
        let valid = raw.split('/').count() == 2
            && raw.split('/').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            });
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FileError::BadKey)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What file operations can fail with.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("no such file")]
    NotFound,
    #[error("not a valid file key")]
    BadKey,
    #[error("file store: {0}")]
    Store(#[from] object_store::Error),
    #[error("file store setup: {0}")]
    Setup(String),
}

impl FileStore {
    /// Opens the store the configuration names, creating the local directory if needed.
    pub fn open(backend: &FilesBackend) -> Result<Self, FileError> {
        match backend {
            FilesBackend::Local { dir } => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| FileError::Setup(format!("cannot create {}: {e}", dir.display())))?;
                let store = object_store::local::LocalFileSystem::new_with_prefix(dir)?;
                Ok(Self {
                    inner: Arc::new(store),
                    description: format!("local:{}", dir.display()),
                })
            }
            FilesBackend::S3(s3) => {
                let mut builder = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_allow_http(s3.allow_http);
                if let Some(endpoint) = &s3.endpoint {
                    // S3-compatible stores (MinIO, Ceph) address buckets by path.
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_virtual_hosted_style_request(false);
                }
                if let Some(id) = &s3.access_key_id {
                    builder = builder.with_access_key_id(id);
                }
                if let Some(secret) = &s3.secret_access_key {
                    builder = builder.with_secret_access_key(secret);
                }
                Ok(Self {
                    inner: Arc::new(builder.build()?),
                    description: format!("s3:{}", s3.bucket),
                })
            }
        }
    }

    /// Where files go, for logs.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Stores `bytes` under `key`, replacing what was there.
    pub async fn put(&self, key: &FileKey, bytes: Vec<u8>) -> Result<(), FileError> {
        self.inner
            .put(&ObjectPath::from(key.as_str()), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    /// Reads the whole file.
    pub async fn get(&self, key: &FileKey) -> Result<Vec<u8>, FileError> {
        match self.inner.get(&ObjectPath::from(key.as_str())).await {
            Ok(result) => Ok(result.bytes().await?.to_vec()),
            Err(object_store::Error::NotFound { .. }) => Err(FileError::NotFound),
            Err(err) => Err(err.into()),
        }
    }

    /// Deletes the file; deleting a missing file is not an error.
    pub async fn delete(&self, key: &FileKey) -> Result<(), FileError> {
        match self.inner.delete(&ObjectPath::from(key.as_str())).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_name_paths_outside_the_store() {
        assert!(FileKey::parse("domande/0193abcd").is_ok());
        for bad in [
            "../etc/passwd",
            "domande/../x",
            "/abs/x",
            "a/b/c",
            "Domande/x",
            "domande/",
            "",
        ] {
            assert!(FileKey::parse(bad).is_err(), "{bad}");
        }
        let generated = FileKey::generate("ricevute");
        assert_eq!(FileKey::parse(generated.as_str()).unwrap(), generated);
    }

    #[tokio::test]
    async fn local_store_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(&FilesBackend::Local {
            dir: dir.path().join("files"),
        })
        .unwrap();
        let key = FileKey::generate("prove");
        store.put(&key, b"contenuto".to_vec()).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap(), b"contenuto");
        store.delete(&key).await.unwrap();
        assert!(matches!(store.get(&key).await, Err(FileError::NotFound)));
        store.delete(&key).await.unwrap();
    }
}
