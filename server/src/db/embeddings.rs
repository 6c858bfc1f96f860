//! Passages' embeddings, as stored: one vector per passage and model.

use chrono::Utc;
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::documents::status;
use super::entities::passage_embedding::{ActiveModel, Column, Entity};
use super::entities::{chunk, document};

/// A passage waiting for its vector: its id and the text embedded (title, headings, content).
pub struct Pending {
    pub chunk_id: i32,
    pub text: String,
}

/// Up to `limit` passages of ready documents with no vector from `model`, oldest first.
pub async fn missing(
    db: &impl ConnectionTrait,
    model: &str,
    limit: u64,
) -> Result<Vec<Pending>, DbErr> {
    let rows: Vec<(i32, i32, String, String)> = chunk::Entity::find()
        .select_only()
        .columns([
            chunk::Column::Id,
            chunk::Column::DocumentId,
            chunk::Column::HeadingPath,
            chunk::Column::Content,
        ])
        .filter(
            chunk::Column::DocumentId.in_subquery(
                Query::select()
                    .column(document::Column::Id)
                    .from(document::Entity)
                    .and_where(document::Column::Status.eq(status::READY))
                    .to_owned(),
            ),
        )
        .filter(
            chunk::Column::Id.not_in_subquery(
                Query::select()
                    .column(Column::ChunkId)
                    .from(Entity)
                    .and_where(Column::Model.eq(model))
                    .to_owned(),
            ),
        )
        .order_by_asc(chunk::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    let titles = super::documents::ready_titles(db, rows.iter().map(|r| r.1)).await?;
    Ok(rows
        .into_iter()
        .map(|(chunk_id, document_id, heading, content)| {
            let title = titles.get(&document_id).map_or("", String::as_str);
            Pending {
                chunk_id,
                text: embedded_text(title, &heading, &content),
            }
        })
        .collect())
}

/// What a passage's vector is made from: where it sits says what it is about.
pub fn embedded_text(title: &str, heading: &str, content: &str) -> String {
    [title, heading, content]
        .iter()
        .filter(|s| !s.trim().is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n")
}

fn to_bytes(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn from_bytes(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Stores vectors made by `model`, replacing any the passages had.
pub async fn store(
    db: &impl ConnectionTrait,
    model: &str,
    vectors: &[(i32, Vec<f32>)],
) -> Result<(), DbErr> {
    if vectors.is_empty() {
        return Ok(());
    }
    Entity::delete_many()
        .filter(Column::ChunkId.is_in(vectors.iter().map(|(id, _)| *id)))
        .exec(db)
        .await?;
    let now = Utc::now();
    // A passage deleted since it was read has no row to point at: leave it out.
    let live =
        super::chunks::existing(db, &vectors.iter().map(|(id, _)| *id).collect::<Vec<_>>()).await?;
    let rows: Vec<ActiveModel> = vectors
        .iter()
        .filter(|(id, _)| live.contains(id))
        .map(|(id, v)| ActiveModel {
            chunk_id: Set(*id),
            model: Set(model.to_owned()),
            vector: Set(to_bytes(v)),
            created_at: Set(now),
        })
        .collect();
    if !rows.is_empty() {
        Entity::insert_many(rows).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Every vector of `model`: (passage id, vector).
pub async fn all(db: &impl ConnectionTrait, model: &str) -> Result<Vec<(i32, Vec<f32>)>, DbErr> {
    let rows: Vec<(i32, Vec<u8>)> = Entity::find()
        .select_only()
        .columns([Column::ChunkId, Column::Vector])
        .filter(Column::Model.eq(model))
        .order_by_asc(Column::ChunkId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, bytes)| (id, from_bytes(&bytes)))
        .collect())
}

/// What changes whenever the vectors of `model` do: how many there are and the newest
/// passage's id (a replaced document's passages get new, higher ids).
pub async fn signature(db: &impl ConnectionTrait, model: &str) -> Result<(i64, i32), DbErr> {
    let row: Option<(i64, Option<i32>)> = Entity::find()
        .select_only()
        .column_as(Column::ChunkId.count(), "n")
        .column_as(Column::ChunkId.max(), "newest")
        .filter(Column::Model.eq(model))
        .into_tuple()
        .one(db)
        .await?;
    Ok(row.map_or((0, 0), |(n, newest)| (n, newest.unwrap_or(0))))
}

/// Removes every vector (a restored backup's passages are embedded again).
pub async fn clear(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    Ok(Entity::delete_many().exec(db).await?.rows_affected)
}
