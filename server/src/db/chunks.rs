//! Passages of documents, as stored: the search index is rebuilt from these.

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::entities::chunk::{ActiveModel, Column, Entity, Model};

/// One passage. Offsets are in characters of the extracted text and cover what the passage was
/// made from; a table row's content is rewritten with its header, so it is not always a slice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    pub position: usize,
    /// Headings above the passage, outermost first, joined with " › ".
    pub heading_path: String,
    pub content: String,
    pub char_start: usize,
    pub char_end: usize,
}

/// Rows per INSERT: far below SQLite's bound-variable limit.
const BATCH: usize = 500;

/// Replaces a document's passages; returns them as stored (with ids), in position order.
pub async fn replace(
    db: &impl ConnectionTrait,
    document_id: i32,
    passages: &[Passage],
) -> Result<Vec<Model>, DbErr> {
    delete_for(db, document_id).await?;
    let now = Utc::now();
    for batch in passages.chunks(BATCH) {
        let rows = batch.iter().map(|p| ActiveModel {
            document_id: Set(document_id),
            position: Set(p.position as i32),
            heading_path: Set(p.heading_path.clone()),
            content: Set(p.content.clone()),
            char_start: Set(p.char_start as i32),
            char_end: Set(p.char_end as i32),
            created_at: Set(now),
            ..Default::default()
        });
        Entity::insert_many(rows).exec_without_returning(db).await?;
    }
    of_document(db, document_id, None).await
}

pub async fn delete_for(db: &impl ConnectionTrait, document_id: i32) -> Result<u64, DbErr> {
    Ok(Entity::delete_many()
        .filter(Column::DocumentId.eq(document_id))
        .exec(db)
        .await?
        .rows_affected)
}

/// A document's passages in order, at most `limit`.
pub async fn of_document(
    db: &impl ConnectionTrait,
    document_id: i32,
    limit: Option<u64>,
) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::DocumentId.eq(document_id))
        .order_by_asc(Column::Position)
        .limit(limit)
        .all(db)
        .await
}

/// These passages with the title of their document, in the order asked.
pub async fn cited(db: &impl ConnectionTrait, ids: &[i32]) -> Result<Vec<(Model, String)>, DbErr> {
    use super::entities::document;
    let chunks = Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let titles: std::collections::HashMap<i32, String> = document::Entity::find()
        .select_only()
        .columns([document::Column::Id, document::Column::Title])
        .filter(document::Column::Id.is_in(chunks.iter().map(|c| c.document_id)))
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut found: Vec<(Model, String)> = chunks
        .into_iter()
        .filter_map(|chunk| {
            let title = titles.get(&chunk.document_id)?.clone();
            Some((chunk, title))
        })
        .collect();
    found.sort_by_key(|(chunk, _)| ids.iter().position(|id| *id == chunk.id));
    Ok(found)
}

/// Passages by id, with their documents' titles, of ready documents only.
pub async fn with_titles(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<Vec<(Model, String)>, DbErr> {
    let rows = Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let titles = super::documents::ready_titles(db, rows.iter().map(|r| r.document_id)).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let title = titles.get(&row.document_id)?.clone();
            Some((row, title))
        })
        .collect())
}

/// Which of these passage ids still exist.
pub async fn existing(db: &impl ConnectionTrait, ids: &[i32]) -> Result<HashSet<i32>, DbErr> {
    let rows: Vec<i32> = Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}
