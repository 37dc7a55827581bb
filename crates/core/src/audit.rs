//! The audit chain (审计链): every create, update, delete and state change appends an entry whose
//! hash covers its own fields and the previous entry's hash, so that editing or removing any past
//! entry breaks every hash after it. The hashing is defined here, once, for the store (which appends)
//! and for `chengguo audit verify` (which recomputes).

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    /// RFC 3339 UTC time.
    pub at: String,
    pub actor: String,
    /// e.g. `create`, `update`, `delete`, `submit`, `login`.
    pub action: String,
    /// e.g. `organization`, `user`.
    pub entity: String,
    pub entity_id: String,
    /// SHA-256 of the change's canonical JSON (the change itself is stored beside it).
    pub digest: String,
    pub prev_hash: String,
    pub hash: String,
}

/// SHA-256 (hex) of a change as JSON. `serde_json` writes struct fields in declaration order and
/// maps in key order (no `preserve_order`), so the same change always gives the same digest.
pub fn digest_of(change: &serde_json::Value) -> String {
    hex::encode(Sha256::digest(change.to_string().as_bytes()))
}

/// The hash of an entry: SHA-256 over its fields, each length-prefixed so that no two different
/// entries can produce the same byte string.
#[allow(clippy::too_many_arguments)] // one argument per hashed field, in hashing order
pub fn entry_hash(
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    digest: &str,
    prev_hash: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        &seq.to_string() as &str,
        at,
        actor,
        action,
        entity,
        entity_id,
        digest,
        prev_hash,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

impl AuditEntry {
    pub fn expected_hash(&self) -> String {
        entry_hash(
            self.seq,
            &self.at,
            &self.actor,
            &self.action,
            &self.entity,
            &self.entity_id,
            &self.digest,
            &self.prev_hash,
        )
    }
}

/// The first problem found while walking a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("audit entry {seq}: its hash does not match its contents (stored {stored}, recomputed {computed})")]
    Hash {
        seq: i64,
        stored: String,
        computed: String,
    },
    #[error("audit entry {seq}: previous hash {found} does not match entry {prev_seq}'s hash {expected}")]
    Link {
        seq: i64,
        prev_seq: i64,
        found: String,
        expected: String,
    },
    #[error("audit entry {seq}: its change does not match its digest")]
    Digest { seq: i64 },
}

/// Walks entries in `seq` order, carrying the last hash; call [`ChainVerifier::check`] for each.
pub struct ChainVerifier {
    last_hash: String,
    last_seq: i64,
    pub checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            last_hash: GENESIS.to_string(),
            last_seq: 0,
            checked: 0,
        }
    }
}

impl ChainVerifier {
    /// Checks one entry (and its change, whose digest must match) against the chain so far.
    pub fn check(&mut self, e: &AuditEntry, change: &str) -> Result<(), ChainError> {
        let value: serde_json::Value =
            serde_json::from_str(change).map_err(|_| ChainError::Digest { seq: e.seq })?;
        if digest_of(&value) != e.digest {
            return Err(ChainError::Digest { seq: e.seq });
        }
        if e.prev_hash != self.last_hash {
            return Err(ChainError::Link {
                seq: e.seq,
                prev_seq: self.last_seq,
                found: e.prev_hash.clone(),
                expected: self.last_hash.clone(),
            });
        }
        let computed = e.expected_hash();
        if computed != e.hash {
            return Err(ChainError::Hash {
                seq: e.seq,
                stored: e.hash.clone(),
                computed,
            });
        }
        self.last_hash = e.hash.clone();
        self.last_seq = e.seq;
        self.checked += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, prev: &str, change: &serde_json::Value) -> AuditEntry {
        let digest = digest_of(change);
        let hash = entry_hash(
            seq,
            "2026-01-01T00:00:00Z",
            "bureau",
            "create",
            "organization",
            "1",
            &digest,
            prev,
        );
        AuditEntry {
            seq,
            at: "2026-01-01T00:00:00Z".into(),
            actor: "bureau".into(),
            action: "create".into(),
            entity: "organization".into(),
            entity_id: "1".into(),
            digest,
            prev_hash: prev.into(),
            hash,
        }
    }

    #[test]
    fn chain_verifies_and_detects_edits() {
        let c = serde_json::json!({"name": "东北大学"});
        let e1 = entry(1, GENESIS, &c);
        let e2 = entry(2, &e1.hash, &c);
        let mut v = ChainVerifier::default();
        v.check(&e1, &c.to_string()).unwrap();
        v.check(&e2, &c.to_string()).unwrap();

        let mut tampered = e1.clone();
        tampered.actor = "intruder".into();
        let err = ChainVerifier::default()
            .check(&tampered, &c.to_string())
            .unwrap_err();
        assert!(matches!(err, ChainError::Hash { seq: 1, .. }));

        let err = ChainVerifier::default()
            .check(&e1, r#"{"name":"清华"}"#)
            .unwrap_err();
        assert_eq!(err, ChainError::Digest { seq: 1 });

        let mut v = ChainVerifier::default();
        let err = v.check(&e2, &c.to_string()).unwrap_err();
        assert!(matches!(err, ChainError::Link { seq: 2, .. }));
    }
}
