//! Uploaded files kept between an import's preview and its confirmation, so the user does not
//! pick the file twice. Stored base64-encoded (the schema keeps to TEXT), owned by one account,
//! removed after the import or after a day.

use crate::{now, Result, Store};
use base64::Engine;

pub struct Upload {
    pub id: String,
    pub kind: String,
    pub filename: String,
    pub bytes: Vec<u8>,
}

impl Store {
    pub async fn save_upload(
        &self,
        user_id: i64,
        kind: &str,
        filename: &str,
        bytes: &[u8],
    ) -> Result<String> {
        let id = crate::random_token()[..32].to_string();
        let cutoff = {
            let t = time::OffsetDateTime::now_utc() - time::Duration::days(1);
            format!(
                "{:04}-{:02}-{:02}T{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour()
            )
        };
        sqlx::query("DELETE FROM uploads WHERE created_at < $1")
            .bind(cutoff)
            .execute(self.pool())
            .await?;
        sqlx::query("INSERT INTO uploads (id, user_id, kind, filename, content, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&id)
            .bind(user_id)
            .bind(kind)
            .bind(filename)
            .bind(base64::engine::general_purpose::STANDARD.encode(bytes))
            .bind(now())
            .execute(self.pool())
            .await?;
        Ok(id)
    }

    /// An upload of this account, if it still exists.
    pub async fn get_upload(&self, user_id: i64, id: &str) -> Result<Option<Upload>> {
        let row: Option<(String, String, String, String)> = sqlx::query_as(
            "SELECT id, kind, filename, content FROM uploads WHERE id = $1 AND user_id = $2",
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.and_then(|(id, kind, filename, content)| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(content)
                .ok()?;
            Some(Upload {
                id,
                kind,
                filename,
                bytes,
            })
        }))
    }

    pub async fn delete_upload(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM uploads WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
